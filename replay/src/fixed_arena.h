// Memory for one live replay at a fixed address: the machine (and so the
// core's state), its machine-physical memory and its fibers' stacks are
// taken from one mapping placed at a chosen base, the same in every run of
// the program, and taken again in the same order whenever the replay is
// rebuilt. So a pointer a debugger read at one position names the same
// object at every other, whether the replay went back by a checkpoint or
// by re-executing from the start (as sanitizer builds do), and in the next
// session too.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nestrr::replay {

class FixedArena {
 public:
  // Reserves `bytes` (lazily backed) at the first free slot from the base;
  // anywhere, if none is free.
  explicit FixedArena(size_t bytes);
  ~FixedArena();
  FixedArena(const FixedArena&) = delete;
  FixedArena& operator=(const FixedArena&) = delete;

  // The next `bytes`, aligned; throws std::bad_alloc past the end.
  void* take(size_t bytes, size_t align = 64);
  // Back to the start: the same takes give the same addresses again.
  void reset() { used_ = 0; }
  bool fixed() const { return fixed_; }
  uintptr_t base() const { return reinterpret_cast<uintptr_t>(base_); }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0, used_ = 0;
  bool fixed_ = false;
};

}  // namespace nestrr::replay
