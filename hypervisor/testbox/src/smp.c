/* AP bring-up: copy the real-mode trampoline below 1 MiB, then per AP an
 * INIT IPI, 10 ms, a STARTUP IPI (a second one if the AP is not up after
 * 200 us), and wait until it reports in ap_main. */
#include "smp.h"

#include "../boot/boot_layout.h"
#include "cpu.h"
#include "idt.h"
#include "lapic.h"
#include "machine.h"
#include "timing.h"
#include "uart.h"

extern char ap_trampoline_start[], ap_trampoline_end[];
extern uint64_t ap_boot_stack;
extern char boot_stack[];

static uint8_t ap_stacks[SMP_MAX_APS][SMP_STACK_BYTES] __attribute__((aligned(16)));
static volatile uint32_t ap_up[SMP_MAX_APS + 1];

void smp_stack_bounds(uint32_t apic_id, uintptr_t *lo, uintptr_t *hi) {
  if (apic_id == 0 || apic_id > SMP_MAX_APS) {
    *lo = (uintptr_t)boot_stack;
    *hi = *lo + BOOT_STACK_BYTES;
    return;
  }
  *lo = (uintptr_t)ap_stacks[apic_id - 1];
  *hi = *lo + SMP_STACK_BYTES;
}

static bool wait_up(uint32_t id, uint64_t us) {
  uint64_t end = rdtsc() + timing_ns_to_tsc(us * 1000u);
  while (!ap_up[id]) {
    if (rdtsc() > end) return false;
    cpu_relax();
  }
  return true;
}

bool smp_start(uint32_t count) {
  uint8_t *dst = (uint8_t *)(uintptr_t)AP_TRAMPOLINE_PA;
  for (char *p = ap_trampoline_start; p < ap_trampoline_end; p++) *dst++ = (uint8_t)*p;
  for (uint32_t id = 1; id <= count; id++) {
    uintptr_t lo, hi;
    smp_stack_bounds(id, &lo, &hi);
    __atomic_store_n(&ap_boot_stack, (uint64_t)hi, __ATOMIC_SEQ_CST);
    lapic_send_init(id);
    timing_delay_us(10000);
    lapic_send_sipi(id, AP_SIPI_VECTOR);
    if (!wait_up(id, 200)) {
      lapic_send_sipi(id, AP_SIPI_VECTOR);
      if (!wait_up(id, 1000000)) {
        uart_printf("testbox: the CPU with APIC ID %u did not start\n", id);
        return false;
      }
    }
  }
  return true;
}

void ap_main(void) {
  idt_load();
  lapic_enable();
  uint32_t id = lapic_id();
  if (id <= SMP_MAX_APS) __atomic_store_n(&ap_up[id], 1u, __ATOMIC_SEQ_CST);
  machine_ap(id);
  cli();
  for (;;) hlt();
}
