/* The local APIC (xAPIC, MMIO at 0xfee00000): IDs, IPIs, the timer. */
#ifndef NESTRR_TESTBOX_LAPIC_H
#define NESTRR_TESTBOX_LAPIC_H

#include <stdint.h>

#define LAPIC_TIMER_VECTOR 0x40
#define LAPIC_SPURIOUS_VECTOR 0xff

/* Software-enables this CPU's local APIC. */
void lapic_enable(void);
uint32_t lapic_id(void);
/* A NMI IPI to the CPU with APIC ID `apic_id` (ICR delivery mode NMI). */
void lapic_send_nmi(uint32_t apic_id);
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint32_t vector);
/* Periodic timer interrupts at LAPIC_TIMER_VECTOR, about every `us`. */
void lapic_timer_periodic(uint32_t us);
void lapic_eoi(void);

#endif
