/* The BSP's C entry: console, IDT, local APIC, TSC, the command line from
 * the multiboot information, then the run it asks for. */
#include "cpu.h"
#include "idt.h"
#include "lapic.h"
#include "logger_cost.h"
#include "machine.h"
#include "options.h"
#include "timing.h"
#include "uart.h"

extern uint64_t boot_multiboot_info;

struct multiboot_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static struct testbox_options options;
static uint64_t logger_cost_memory[LOGGER_COST_MEMORY_BYTES / 8];

/* bench=logger-cost: the logger's cycles per record on this CPU, next to a
 * bare rdtsc-plus-store loop (logger_cost.h); one console line, then exit. */
static void run_logger_cost(void) {
  struct logger_cost c;
  if (!logger_cost_measure(logger_cost_memory, sizeof logger_cost_memory, timing_tsc_hz(), &c)) {
    uart_printf("testbox: logger cost: a logger refused its configuration\n");
    machine_exit(TESTBOX_EXIT_PANIC);
  }
  uart_printf("testbox: logger cost: tsc cycles per %u records, median of %u blocks: bare %lu flight %lu "
              "stream %lu (stream bytes %lu, dropped %lu)\n",
              LOGGER_COST_BLOCK, LOGGER_COST_BLOCKS, c.bare, c.flight, c.stream, c.stream_bytes,
              c.stream_dropped);
  machine_exit(TESTBOX_EXIT_COMPLETED);
}

void testbox_main(void);
void testbox_main(void) {
  uart_init();
  idt_build();
  idt_load();
  outb(0x21, 0xff); /* legacy PICs: everything masked */
  outb(0xa1, 0xff);
  lapic_enable();
  timing_calibrate();
  const struct multiboot_info *mb =
      (const struct multiboot_info *)(uintptr_t)(uint32_t)boot_multiboot_info;
  const char *cmdline = (mb && (mb->flags & 4)) ? (const char *)(uintptr_t)mb->cmdline : 0;
  uart_printf("testbox: nestrr testbox up, tsc %lu Hz, command line: %s\n", timing_tsc_hz(),
              cmdline ? cmdline : "(none)");
  char err[160];
  if (!options_parse(cmdline, &options, err, sizeof err)) {
    uart_printf("testbox: bad command line: %s\n", err);
    machine_exit(TESTBOX_EXIT_PANIC);
  }
  if (options.run == TESTBOX_RUN_SELFTEST) selftest_run(options.cpus);
  if (options.run == TESTBOX_RUN_LOGGER_COST) run_logger_cost();
  machine_run_core(&options);
}

void testbox_nmi(struct interrupt_frame *f) {
  uint32_t id = lapic_id();
  if (options.run == TESTBOX_RUN_SELFTEST)
    selftest_nmi(id, f);
  else
    machine_nmi(id, f);
}

void machine_ap(uint32_t apic_id) {
  if (options.run == TESTBOX_RUN_SELFTEST)
    selftest_ap(apic_id);
  else
    machine_core_ap(apic_id);
}
