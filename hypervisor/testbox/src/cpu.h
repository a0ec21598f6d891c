/* Single x86 instructions the image needs, as inline functions. */
#ifndef NESTRR_TESTBOX_CPU_H
#define NESTRR_TESTBOX_CPU_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) {
  __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }
static inline void cli(void) { __asm__ __volatile__("cli" ::: "memory"); }
static inline void sti_hlt(void) { __asm__ __volatile__("sti; hlt; cli" ::: "memory"); }
static inline void hlt(void) { __asm__ __volatile__("hlt" ::: "memory"); }
static inline uint64_t read_cr2(void) {
  uint64_t v;
  __asm__ __volatile__("mov %%cr2, %0" : "=r"(v));
  return v;
}

#endif
