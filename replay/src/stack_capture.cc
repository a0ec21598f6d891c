// Stack capture for the assertion path, on threads (record) and fibers
// (replay). Needs frame pointers: the core and this library keep them.
#include "nestrr/replay/stack_capture.h"

#include <pthread.h>

#include <cstring>

extern "C" {
#include "nestrr/assert.h"
}

namespace nestrr::replay {
namespace {

bool in_bounds(void* ctx, uintptr_t addr, uintptr_t n) {
  return static_cast<const StackBounds*>(ctx)->contains(addr, n);
}

}  // namespace

StackBounds current_thread_stack() {
  StackBounds b;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return b;
  void* addr = nullptr;
  size_t size = 0;
  if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
    b.lo = reinterpret_cast<uintptr_t>(addr);
    b.hi = b.lo + size;
  }
  pthread_attr_destroy(&attr);
  return b;
}

// The raw stack window spans other frames, including what AddressSanitizer
// poisons as their redzones in sanitizer builds: reading it is the point.
__attribute__((noinline, no_sanitize_address)) static void copy_raw_stack(uint8_t* dst,
                                                                         const uint8_t* src,
                                                                         uint32_t n) {
  for (uint32_t i = 0; i < n; i++) dst[i] = src[i];
}

void capture_stack(const StackBounds& bounds, nestrr_captured_stack* out, uint8_t* copy,
                   uint32_t copy_bytes) {
  nestrr_capture_regs(&out->regs);
  StackBounds b = bounds;
  out->frame_count = nestrr_walk_frames(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)),
                                        out->return_addrs, NESTRR_ASSERT_FRAMES_MAX, in_bounds, &b);
  uintptr_t sp = static_cast<uintptr_t>(out->regs.rsp);
  uint32_t n = 0;
  if (b.contains(sp, 1)) {
    uintptr_t room = b.hi - sp;
    n = static_cast<uint32_t>(room < copy_bytes ? room : copy_bytes);
    copy_raw_stack(copy, reinterpret_cast<const uint8_t*>(sp), n);
  }
  out->stack_addr = sp;
  out->stack = copy;
  out->stack_bytes = n;
}

std::vector<uint64_t> walk_return_addresses(const StackBounds& bounds, uint32_t max_frames) {
  std::vector<uint64_t> out;
  auto fp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  while (out.size() < max_frames && bounds.contains(fp, 16)) {
    uintptr_t next, ret;
    std::memcpy(&next, reinterpret_cast<const void*>(fp), sizeof next);
    std::memcpy(&ret, reinterpret_cast<const void*>(fp + 8), sizeof ret);
    if (ret == 0) break;
    out.push_back(ret);
    if (next <= fp) break;  // the chain grows upwards
    fp = next;
  }
  return out;
}

}  // namespace nestrr::replay
