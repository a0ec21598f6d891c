/* The one mapping from what the core reports (events, synchronization,
 * assertions) to logger records. Freestanding C: the testbox image, host
 * recordings and replay's re-logging all call it, so every side writes the
 * same records for the same core run. NMI-safe: logger calls only. */
#ifndef NESTRR_LOG_FORWARD_H
#define NESTRR_LOG_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "nestrr/core/core.h"
#include "nestrr/logger.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A core event as a record. `interrupted_rip` is the RIP the current NMI
 * interrupted (used by CORE_EV_NMI_RECEIVED only; replay passes 0). */
void nestrr_forward_event(struct nestrr_logger *lg, uint32_t cpu, const struct core_event *ev,
                          uint64_t interrupted_rip);

/* Synchronization order (design.md, "Determinism"). Logged: every lock
 * acquisition with its ticket (core_lock_ticket: replay gives each lock to
 * the CPU whose ticket is next) and every wait_until completion (checked).
 * Releases are not logged: a release always sits at a fixed point of its
 * CPU's own stream, so it adds nothing to the order. */
void nestrr_forward_lock_acquired(struct nestrr_logger *lg, uint32_t cpu, uint32_t lock,
                                  uint64_t progress, uint64_t ticket);
void nestrr_forward_wait_done(struct nestrr_logger *lg, uint32_t cpu, uint32_t point,
                              uint64_t progress);

/* What the assertion path captured on the failing CPU (all zero: nothing
 * captured, as in replay). */
struct nestrr_captured_stack {
  struct nestrr_regs regs;
  uint64_t return_addrs[NESTRR_ASSERT_FRAMES_MAX];
  uint32_t frame_count; /* at most NESTRR_ASSERT_FRAMES_MAX are logged */
  uint64_t stack_addr;
  const void *stack;
  uint32_t stack_bytes;
};
/* True if the record was stored. */
bool nestrr_forward_assertion(struct nestrr_logger *lg, uint32_t cpu, const char *condition,
                              const char *file, uint32_t line,
                              const struct nestrr_captured_stack *captured);

#ifdef __cplusplus
}
#endif

#endif
