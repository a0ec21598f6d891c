// The failing CPU's stack, captured while its frames are still live:
// registers, return addresses from the frame-pointer chain, raw bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "nestrr/log_forward.h"

namespace nestrr::replay {

// [lo, hi) of a stack; every read of the walk stays inside it.
struct StackBounds {
  uintptr_t lo = 0, hi = 0;
  bool contains(uintptr_t addr, uintptr_t n) const {
    return addr >= lo && n <= hi - lo && addr - lo <= hi - lo - n;
  }
};

// The calling thread's stack (pthread_getattr_np).
StackBounds current_thread_stack();

// Fills `out` for nestrr_forward_assertion: registers at the call, up to
// NESTRR_ASSERT_FRAMES_MAX return addresses, and up to `copy_bytes` bytes
// from RSP copied into `copy` (which out->stack then points to).
void capture_stack(const StackBounds& bounds, nestrr_captured_stack* out, uint8_t* copy,
                   uint32_t copy_bytes) __attribute__((noinline));

// Return addresses of the caller's frame-pointer chain, innermost first.
std::vector<uint64_t> walk_return_addresses(const StackBounds& bounds, uint32_t max_frames)
    __attribute__((noinline));

}  // namespace nestrr::replay
