// A replay's memory at a fixed address (fixed_arena.h).
#include "fixed_arena.h"

#include <sys/mman.h>

#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define NESTRR_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define NESTRR_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace nestrr::replay {
namespace {

// Far from the program (0x55..., 0x56...), the libraries and mmap's own
// choices (0x7f...), and from AddressSanitizer's shadow and allocator
// (below 0x100080000000, and 0x600000000000 up).
constexpr uintptr_t kBase = 0x4e5e00000000;
constexpr uintptr_t kSlot = uintptr_t{1} << 36;  // 64 GiB apart
constexpr int kSlots = 64;

}  // namespace

FixedArena::FixedArena(size_t bytes) : size_((bytes + 4095) & ~size_t{4095}) {
  const int prot = PROT_READ | PROT_WRITE;
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
  for (int i = 0; i < kSlots && !base_ && size_ <= kSlot; ++i) {
    void* want = reinterpret_cast<void*>(kBase + i * kSlot);
    void* p = ::mmap(want, size_, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) continue;
    if (p != want) {  // a kernel without MAP_FIXED_NOREPLACE took it as a hint
      ::munmap(p, size_);
      continue;
    }
    base_ = static_cast<uint8_t*>(p);
    fixed_ = true;
  }
  if (!base_) {
    void* p = ::mmap(nullptr, size_, prot, flags, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<uint8_t*>(p);
  }
}

FixedArena::~FixedArena() { ::munmap(base_, size_); }

void* FixedArena::take(size_t bytes, size_t align) {
  size_t at = (used_ + align - 1) & ~(align - 1);
  if (at > size_ || bytes > size_ - at) throw std::bad_alloc();
  used_ = at + bytes;
  // Taken again after a rebuild: what a sanitizer marked in it then (the
  // redzones of frames on an old fiber stack) no longer holds.
  NESTRR_UNPOISON(base_ + at, bytes);
  return base_ + at;
}

}  // namespace nestrr::replay
