/* TSC calibration with PIT channel 2 in one-shot mode (gate via port 0x61). */
#include "timing.h"

#include "cpu.h"

#define PIT_HZ 1193182u

static uint64_t tsc_hz = 1000000000ull; /* until calibrated */

void timing_calibrate(void) {
  const uint32_t ms = 10;
  uint32_t count = PIT_HZ * ms / 1000u;
  outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
  outb(0x43, 0xb0);                                  /* ch2, lo/hi, mode 0 */
  outb(0x42, (uint8_t)count);
  outb(0x42, (uint8_t)(count >> 8));
  /* Writing the count restarts mode 0: OUT goes low until it expires. */
  uint64_t t0 = rdtsc();
  while (!(inb(0x61) & 0x20)) cpu_relax();
  uint64_t t1 = rdtsc();
  if (t1 > t0) tsc_hz = (t1 - t0) * (1000u / ms);
}

uint64_t timing_tsc_hz(void) { return tsc_hz; }

uint64_t timing_ns_to_tsc(uint64_t ns) {
  /* ns * hz / 1e9 without overflow for ns < ~18 s at 1 THz */
  return (ns / 1000u) * (tsc_hz / 1000000u) + (ns % 1000u) * (tsc_hz / 1000000u) / 1000u;
}

void timing_delay_us(uint64_t us) {
  uint64_t end = rdtsc() + timing_ns_to_tsc(us * 1000u);
  while (rdtsc() < end) cpu_relax();
}
