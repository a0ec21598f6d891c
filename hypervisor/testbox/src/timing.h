/* Time on bare metal: the TSC, calibrated once against the PIT. */
#ifndef NESTRR_TESTBOX_TIMING_H
#define NESTRR_TESTBOX_TIMING_H

#include <stdint.h>

/* Measures the TSC rate over 10 ms of PIT channel 2. BSP, at boot. */
void timing_calibrate(void);
uint64_t timing_tsc_hz(void);
/* TSC ticks in `ns` nanoseconds. */
uint64_t timing_ns_to_tsc(uint64_t ns);
void timing_delay_us(uint64_t us);

#endif
