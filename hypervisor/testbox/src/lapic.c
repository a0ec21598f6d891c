/* Local APIC registers and the interprocessor interrupts the image sends. */
#include "lapic.h"

#include "cpu.h"

#define LAPIC_BASE 0xfee00000ul
#define REG_ID 0x020
#define REG_EOI 0x0b0
#define REG_SVR 0x0f0
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT_TIMER 0x320
#define REG_TIMER_INIT 0x380
#define REG_TIMER_DIV 0x3e0

#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_PENDING (1u << 12)

static volatile uint32_t *reg(uint32_t off) {
  return (volatile uint32_t *)(LAPIC_BASE + off);
}

void lapic_enable(void) { *reg(REG_SVR) = 0x100u | LAPIC_SPURIOUS_VECTOR; }

uint32_t lapic_id(void) { return *reg(REG_ID) >> 24; }

static void send(uint32_t apic_id, uint32_t low) {
  while (*reg(REG_ICR_LO) & ICR_PENDING) cpu_relax();
  *reg(REG_ICR_HI) = apic_id << 24;
  *reg(REG_ICR_LO) = low;
  while (*reg(REG_ICR_LO) & ICR_PENDING) cpu_relax();
}

void lapic_send_nmi(uint32_t apic_id) { send(apic_id, ICR_NMI | ICR_ASSERT); }
void lapic_send_init(uint32_t apic_id) { send(apic_id, ICR_INIT | ICR_ASSERT); }
void lapic_send_sipi(uint32_t apic_id, uint32_t vector) {
  send(apic_id, ICR_STARTUP | ICR_ASSERT | (vector & 0xff));
}

/* QEMU's APIC timer counts at 1 GHz before the divider; divide by 16. */
void lapic_timer_periodic(uint32_t us) {
  *reg(REG_TIMER_DIV) = 0x3;
  *reg(REG_LVT_TIMER) = (1u << 17) | LAPIC_TIMER_VECTOR;
  *reg(REG_TIMER_INIT) = us * 1000u / 16u;
}

void lapic_eoi(void) { *reg(REG_EOI) = 0; }
