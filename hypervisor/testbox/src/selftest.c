/* selftest=smp: the machine without the core. Every AP comes up and says
 * so; the BSP sends each an NMI IPI; AP 1 sends one to every other AP; each
 * NMI handler records where it interrupted. Exits COMPLETED when every NMI
 * arrived, PANIC when one did not within a second. */
#include "cpu.h"
#include "lapic.h"
#include "machine.h"
#include "smp.h"
#include "timing.h"
#include "uart.h"

static volatile uint32_t go_relay;
static volatile uint64_t nmis[SMP_MAX_APS + 1];
static volatile uint64_t nmi_rip[SMP_MAX_APS + 1];
static uint32_t ap_count;

void selftest_nmi(uint32_t apic_id, const struct interrupt_frame *f) {
  if (apic_id > SMP_MAX_APS) return;
  nmi_rip[apic_id] = f->rip;
  __atomic_add_fetch(&nmis[apic_id], 1, __ATOMIC_SEQ_CST);
}

void selftest_ap(uint32_t apic_id) {
  uart_printf("testbox: cpu with apic id %u up\n", apic_id);
  while (!go_relay) cpu_relax();
  if (apic_id == 1)
    for (uint32_t k = 2; k <= ap_count; k++) lapic_send_nmi(k);
  for (;;) cpu_relax();
}

static bool wait_nmis(uint32_t id, uint64_t want) {
  uint64_t end = rdtsc() + timing_ns_to_tsc(1000000000ull);
  while (nmis[id] < want) {
    if (rdtsc() > end) return false;
    cpu_relax();
  }
  return true;
}

void selftest_run(uint32_t cpus) {
  ap_count = cpus;
  if (!smp_start(cpus)) machine_exit(TESTBOX_EXIT_PANIC);
  for (uint32_t k = 1; k <= cpus; k++) {
    lapic_send_nmi(k);
    if (!wait_nmis(k, 1)) {
      uart_printf("testbox: selftest: NMI from the BSP to apic %u never arrived\n", k);
      machine_exit(TESTBOX_EXIT_PANIC);
    }
    uart_printf("testbox: selftest: NMI bsp -> apic %u taken at rip %lx\n", k, nmi_rip[k]);
  }
  go_relay = 1;
  for (uint32_t k = 2; k <= cpus; k++) {
    if (!wait_nmis(k, 2)) {
      uart_printf("testbox: selftest: NMI from apic 1 to apic %u never arrived\n", k);
      machine_exit(TESTBOX_EXIT_PANIC);
    }
    uart_printf("testbox: selftest: NMI apic 1 -> apic %u taken at rip %lx\n", k, nmi_rip[k]);
  }
  uart_printf("testbox: selftest passed: %u CPUs up, every NMI IPI delivered\n", cpus);
  machine_exit(TESTBOX_EXIT_COMPLETED);
}
