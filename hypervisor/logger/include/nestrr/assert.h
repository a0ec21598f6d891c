/* nestrr/assert.h: the assertion path. On a failed condition the
 * hypervisor logs an AssertionFailure (condition, file, line, registers,
 * return addresses from the frame-pointer chain, raw stack bytes), writes
 * the log out (flush, or a flight-recorder dump) and halts.
 *
 * A hypervisor's own assertion macro becomes, for example:
 *
 *   #define HALT_ON_ERRORCOND(c) NESTRR_ASSERT(&g_nestrr, this_cpu_index(), c)
 *
 * Build the hypervisor with -fno-omit-frame-pointer for useful traces, and
 * give config.addr_ok so the stack walk never touches unmapped memory
 * (without it only registers are recorded). */
#ifndef NESTRR_ASSERT_H
#define NESTRR_ASSERT_H

#include "nestrr/logger.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to do after the record is out. Override before including. */
#ifndef NESTRR_HALT
#define NESTRR_HALT() __builtin_trap()
#endif

#define NESTRR_ASSERT(lg, cpu, cond)                                        \
  do {                                                                      \
    if (__builtin_expect(!(cond), 0)) {                                     \
      nestrr_assert_fail((lg), (cpu), #cond, __FILE__, (uint32_t)__LINE__); \
      NESTRR_HALT();                                                        \
    }                                                                       \
  } while (0)

/* Captures the caller's registers, walks its frame-pointer chain, copies
 * its stack, logs the AssertionFailure, then flushes (stream) or dumps
 * (flight recorder). Returns; the caller halts. */
void nestrr_assert_fail(struct nestrr_logger *lg, uint32_t cpu, const char *cond, const char *file,
                        uint32_t line) __attribute__((noinline));

/* Fills the general registers, RIP, RFLAGS, CS and SS as they are at the
 * call (CR0/CR3/CR4 too when NESTRR_CAPTURE_CONTROL_REGS is defined: ring 0
 * only). */
void nestrr_capture_regs(struct nestrr_regs *r) __attribute__((noinline));

/* Walks the frame-pointer chain from frame pointer `fp`: stores up to `max`
 * return addresses, innermost first, and returns how many. Every frame is
 * checked with `ok` before it is read; the chain must grow upwards. */
uint32_t nestrr_walk_frames(uintptr_t fp, uint64_t *out, uint32_t max, nestrr_addr_ok_fn ok,
                            void *ok_ctx);

#ifdef __cplusplus
}
#endif

#endif /* NESTRR_ASSERT_H */
