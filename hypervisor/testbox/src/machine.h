/*
 * The core on bare metal: the platform interface of hypervisor/core filled
 * with real CPUs (APIC IDs 1..N run core CPUs 0..N-1), real NMI IPIs, the
 * TSC, and the logger streaming to COM1. The BSP (APIC ID 0) is the
 * console CPU: it boots the others, drains the logger's rings to the UART
 * on a 1 ms timer tick (as `nestrr record`'s drain thread does) and ends
 * the run, so no CPU running the core ever holds the UART.
 */
#ifndef NESTRR_TESTBOX_MACHINE_H
#define NESTRR_TESTBOX_MACHINE_H

#include <stdint.h>

#include "idt.h"
#include "nestrr/testbox/exit_codes.h"
#include "options.h"

/* Tells QEMU to exit (isa-debug-exit). */
void machine_exit(enum testbox_exit code) __attribute__((noreturn));

/* BSP: sets up the core and the logger, starts the APs, drains, and exits
 * QEMU when the run ends. */
void machine_run_core(const struct testbox_options *o) __attribute__((noreturn));

/* An AP, once up: the selftest's or the core's (main.c picks). */
void machine_ap(uint32_t apic_id);
void machine_core_ap(uint32_t apic_id);
/* The NMI, on any CPU. */
void machine_nmi(uint32_t apic_id, const struct interrupt_frame *f);

/* selftest=smp (selftest.c). */
void selftest_run(uint32_t cpus) __attribute__((noreturn));
void selftest_ap(uint32_t apic_id);
void selftest_nmi(uint32_t apic_id, const struct interrupt_frame *f);

#endif
