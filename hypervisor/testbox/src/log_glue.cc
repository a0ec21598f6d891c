// The image's calls into replay/src/log_forward.cc (built freestanding
// into the image, no exceptions or RTTI).
#include "log_glue.h"

#include "nestrr/replay/log_forward.h"

namespace fwd = nestrr::replay;

extern "C" {

void glue_event(nestrr_logger* lg, uint32_t cpu, const core_event* ev, uint64_t interrupted_rip) {
  fwd::forward_event(lg, cpu, *ev, interrupted_rip);
}

void glue_lock_acquired(nestrr_logger* lg, uint32_t cpu, uint32_t lock, uint64_t progress,
                        uint64_t ticket) {
  fwd::forward_lock_acquired(lg, cpu, lock, progress, ticket);
}

void glue_wait_done(nestrr_logger* lg, uint32_t cpu, uint32_t point, uint64_t progress) {
  fwd::forward_wait_done(lg, cpu, point, progress);
}

bool glue_assertion(nestrr_logger* lg, uint32_t cpu, const char* cond, const char* file,
                    uint32_t line, const nestrr_regs* regs, const uint64_t* return_addrs,
                    uint32_t frame_count, uint64_t stack_addr, const void* stack,
                    uint32_t stack_bytes) {
  fwd::CapturedStack c;
  c.regs = *regs;
  if (frame_count > NESTRR_ASSERT_FRAMES_MAX) frame_count = NESTRR_ASSERT_FRAMES_MAX;
  for (uint32_t i = 0; i < frame_count; i++) c.return_addrs[i] = return_addrs[i];
  c.frame_count = frame_count;
  c.stack_addr = stack_addr;
  c.stack = stack;
  c.stack_bytes = stack_bytes;
  return fwd::forward_assertion(lg, cpu, cond, file, line, c);
}

}  // extern "C"
