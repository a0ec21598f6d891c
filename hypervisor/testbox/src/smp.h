/* Bringing up the other CPUs (INIT-SIPI-SIPI) and their stacks. */
#ifndef NESTRR_TESTBOX_SMP_H
#define NESTRR_TESTBOX_SMP_H

#include <stdbool.h>
#include <stdint.h>

#define SMP_MAX_APS 8
#define SMP_STACK_BYTES 65536

/* Starts the CPUs with APIC IDs 1..count, one after the other; each runs
 * ap_main on its own stack. False (with a console message) if one does
 * not come up within a second. */
bool smp_start(uint32_t count);

/* [lo, hi) of the stack of the CPU with APIC ID `apic_id` (0 = BSP). */
void smp_stack_bounds(uint32_t apic_id, uintptr_t *lo, uintptr_t *hi);

/* Entry of every AP once in long mode (boot.S). Must not return. */
void ap_main(void);

#endif
