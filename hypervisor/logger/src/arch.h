/* The few x86 instructions the logger needs, as inline asm. */
#ifndef NESTRR_ARCH_H
#define NESTRR_ARCH_H

#include <stdbool.h>
#include <stdint.h>

static inline uint64_t nestrr_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

/* 64-bit compare-and-swap, sequentially consistent. On i386 it is written
 * out as lock cmpxchg8b (Pentium and later; build with -march=i686): gcc
 * only inlines its 64-bit __atomic builtins there when SSE/x87 are allowed,
 * and the logger is built without them. */
static inline bool nestrr_cas64(uint64_t *p, uint64_t *expected, uint64_t desired) {
#if defined(__x86_64__)
  return __atomic_compare_exchange_n(p, expected, desired, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_RELAXED);
#else
  uint32_t lo = (uint32_t)*expected, hi = (uint32_t)(*expected >> 32);
  bool ok;
  __asm__ __volatile__("lock; cmpxchg8b %1\n\tsete %0"
                       : "=q"(ok), "+m"(*p), "+a"(lo), "+d"(hi)
                       : "b"((uint32_t)desired), "c"((uint32_t)(desired >> 32))
                       : "memory", "cc");
  *expected = ((uint64_t)hi << 32) | lo;
  return ok;
#endif
}

static inline void nestrr_cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

#endif /* NESTRR_ARCH_H */
