/* C entry points to the one mapping from core reports to logger records
 * (replay/log_forward.h), so the image logs exactly what `nestrr record`
 * logs and `nestrr replay` compares against. */
#ifndef NESTRR_TESTBOX_LOG_GLUE_H
#define NESTRR_TESTBOX_LOG_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#include "nestrr/core/core.h"
#include "nestrr/logger.h"

#ifdef __cplusplus
extern "C" {
#endif

void glue_event(struct nestrr_logger *lg, uint32_t cpu, const struct core_event *ev,
                uint64_t interrupted_rip);
void glue_lock_acquired(struct nestrr_logger *lg, uint32_t cpu, uint32_t lock, uint64_t progress,
                        uint64_t ticket);
void glue_wait_done(struct nestrr_logger *lg, uint32_t cpu, uint32_t point, uint64_t progress);
/* True if the assertion record was stored. */
bool glue_assertion(struct nestrr_logger *lg, uint32_t cpu, const char *cond, const char *file,
                    uint32_t line, const struct nestrr_regs *regs, const uint64_t *return_addrs,
                    uint32_t frame_count, uint64_t stack_addr, const void *stack,
                    uint32_t stack_bytes);

#ifdef __cplusplus
}
#endif

#endif
