/* The interrupt descriptor table, shared by all CPUs. */
#ifndef NESTRR_TESTBOX_IDT_H
#define NESTRR_TESTBOX_IDT_H

#include <stdint.h>

/* Fills the table (once, on the BSP). */
void idt_build(void);
/* Loads it on the calling CPU. */
void idt_load(void);

/* The interrupt frame the CPU pushed (RIP first). */
struct interrupt_frame {
  uint64_t rip, cs, rflags, rsp, ss;
};

/* Called from isr.S. */
void testbox_nmi(struct interrupt_frame *f);
void testbox_timer(void);

#endif
