// A fiber on its own stack. The scheduler resumes it; it runs until it
// suspends itself back to the scheduler. Switches are Boost.Context's
// fcontext jumps (a few nanoseconds; ucontext's swapcontext makes two
// signal-mask system calls per switch, which was a fifth of replay time).
#pragma once

#include <ucontext.h>

#include <cstdint>
#include <memory>
#include <string>

#include "nestrr/replay/stack_capture.h"

namespace nestrr::replay {

// A parked fiber's live stack and saved registers, for a checkpoint. It
// restores into the same Fiber only: the frames hold pointers into their
// own stack.
struct FiberImage {
  bool started = false;
  void* self = nullptr;
  ucontext_t view{};
  std::string stack;  // from the saved stack pointer to the top
};

class Fiber {
 public:
  using Entry = void (*)(void* arg);
  Fiber(Entry entry, void* arg, size_t stack_bytes = 512 * 1024);
  // On a stack the caller keeps (fixed_arena.h).
  Fiber(Entry entry, void* arg, size_t stack_bytes, uint8_t* stack);
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // From the scheduler: run the fiber until it suspends.
  void resume();
  // From inside the fiber: back to the scheduler.
  void suspend();
  // From a trap handler running on the fiber's stack (fiber_traps.h): back
  // to the scheduler, the fiber stopped mid-instruction-stream with all its
  // registers in `uc`; returns when the fiber is resumed.
  void pause_in_trap(ucontext_t* uc);
  // The last resume ended in pause_in_trap, not at a yield point.
  bool paused() const { return paused_; }
  StackBounds stack() const;
  // Registers saved when the fiber last suspended (valid once started):
  // what a debugger shows for a parked vCPU. A switch saves only what the
  // x86-64 SysV ABI keeps across a call (rbx, rbp, r12-r15, rsp) and where
  // it resumes (rip); the other general registers read as 0. A fiber
  // paused by a trap has them all (and full() is true).
  const ucontext_t& context() const { return view_; }
  bool started() const { return started_; }
  bool full() const { return paused_; }
  // Only while the fiber is parked (not running). Not under
  // AddressSanitizer, whose shadow of the stack a copy would not carry.
  static bool can_snapshot();
  FiberImage snapshot() const;
  void restore(const FiberImage& image);

 private:
  struct Transfer;
  struct CallerStack {
    const void* bottom = nullptr;
    size_t size = 0;
  };
  static thread_local CallerStack caller_stack_;
  static void trampoline(Transfer t);
  void note_parked();
  Entry entry_;
  void* arg_;
  size_t stack_bytes_;
  std::unique_ptr<uint8_t[]> owned_stack_;
  uint8_t* stack_ = nullptr;
  void* self_ = nullptr;    // the fiber's saved context while it is parked
  void* caller_ = nullptr;  // the scheduler's, while the fiber runs
  ucontext_t view_{};
  bool started_ = false;
  bool paused_ = false;
};

}  // namespace nestrr::replay
