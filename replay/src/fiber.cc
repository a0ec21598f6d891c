// ucontext fibers for replay.
#include "fiber.h"

#include <cstdio>
#include <cstdlib>

namespace nestrr::replay {

Fiber::Fiber(Entry entry, void* arg, size_t stack_bytes)
    : entry_(entry), arg_(arg), stack_bytes_(stack_bytes), stack_(new uint8_t[stack_bytes]) {}

void Fiber::trampoline(unsigned lo, unsigned hi) {
  auto* f = reinterpret_cast<Fiber*>((static_cast<uintptr_t>(hi) << 32) | lo);
  f->entry_(f->arg_);
  std::fprintf(stderr, "replay fiber returned from its entry\n");
  std::abort();  // entries never return: they suspend for good
}

void Fiber::resume() {
  if (!started_) {
    started_ = true;
    getcontext(&self_);
    self_.uc_stack.ss_sp = stack_.get();
    self_.uc_stack.ss_size = stack_bytes_;
    self_.uc_link = nullptr;
    auto addr = reinterpret_cast<uintptr_t>(this);
    makecontext(&self_, reinterpret_cast<void (*)()>(trampoline), 2,
                static_cast<unsigned>(addr & 0xffffffffu), static_cast<unsigned>(addr >> 32));
  }
  swapcontext(&caller_, &self_);
}

void Fiber::suspend() { swapcontext(&self_, &caller_); }

StackBounds Fiber::stack() const {
  StackBounds b;
  b.lo = reinterpret_cast<uintptr_t>(stack_.get());
  b.hi = b.lo + stack_bytes_;
  return b;
}

}  // namespace nestrr::replay
