// A fiber on its own stack (ucontext). The scheduler resumes it; it runs
// until it suspends itself back to the scheduler.
#pragma once

#include <ucontext.h>

#include <cstdint>
#include <memory>

#include "nestrr/replay/stack_capture.h"

namespace nestrr::replay {

class Fiber {
 public:
  using Entry = void (*)(void* arg);
  Fiber(Entry entry, void* arg, size_t stack_bytes = 512 * 1024);
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // From the scheduler: run the fiber until it suspends.
  void resume();
  // From inside the fiber: back to the scheduler.
  void suspend();
  StackBounds stack() const;
  // Registers saved when the fiber last suspended (valid once started):
  // what a debugger shows for a parked vCPU.
  const ucontext_t& context() const { return self_; }
  bool started() const { return started_; }

 private:
  static void trampoline(unsigned lo, unsigned hi);
  Entry entry_;
  void* arg_;
  size_t stack_bytes_;
  std::unique_ptr<uint8_t[]> stack_;
  ucontext_t self_{}, caller_{};
  bool started_ = false;
};

}  // namespace nestrr::replay
