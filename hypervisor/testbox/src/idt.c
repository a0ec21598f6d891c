/* IDT entries and the exception report: a CPU exception anywhere in the
 * image prints the vector, error code and registers on COM1 and exits QEMU
 * with TESTBOX_EXIT_PANIC. */
#include "idt.h"

#include "cpu.h"
#include "lapic.h"
#include "machine.h"
#include "uart.h"

struct idt_entry {
  uint16_t off_lo, sel;
  uint8_t ist, type;
  uint16_t off_mid;
  uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));

extern const uint64_t isr_exc_table[32];
extern char isr_nmi[], isr_timer[], isr_spurious[];

static void set(unsigned vec, const void *handler) {
  uint64_t a = (uint64_t)handler;
  idt[vec].off_lo = (uint16_t)a;
  idt[vec].sel = 0x08;
  idt[vec].ist = 0;
  idt[vec].type = 0x8e; /* present, interrupt gate */
  idt[vec].off_mid = (uint16_t)(a >> 16);
  idt[vec].off_hi = (uint32_t)(a >> 32);
  idt[vec].zero = 0;
}

void idt_build(void) {
  for (unsigned v = 0; v < 32; v++)
    if (isr_exc_table[v]) set(v, (const void *)isr_exc_table[v]);
  set(2, isr_nmi);
  set(LAPIC_TIMER_VECTOR, isr_timer);
  set(LAPIC_SPURIOUS_VECTOR, isr_spurious);
}

void idt_load(void) {
  struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) ptr = {sizeof idt - 1, (uint64_t)idt};
  __asm__ __volatile__("lidt %0" : : "m"(ptr));
}

/* What isr_exc_common pushed, lowest address first. */
struct exception_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error;
  struct interrupt_frame f;
};

void testbox_exception(struct exception_frame *x);
void testbox_exception(struct exception_frame *x) {
  uart_printf("\ntestbox: cpu exception %lu (error %lx) on apic %u at rip %lx, cr2 %lx\n"
              "testbox:   rax %lx rbx %lx rcx %lx rdx %lx rsi %lx rdi %lx\n"
              "testbox:   rbp %lx rsp %lx r8 %lx r9 %lx rflags %lx\n",
              x->vector, x->error, lapic_id(), x->f.rip, read_cr2(), x->rax, x->rbx, x->rcx,
              x->rdx, x->rsi, x->rdi, x->rbp, x->f.rsp, x->r8, x->r9, x->f.rflags);
  machine_exit(TESTBOX_EXIT_PANIC);
}
