// Fibers for replay and exploration, on Boost.Context's fcontext.
#include "fiber.h"

#include "nestrr/replay/fiber_traps.h"

#include <boost/context/detail/fcontext.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define NESTRR_ASAN_FIBERS 1
#endif

namespace nestrr::replay {

namespace bctx = boost::context::detail;

struct Fiber::Transfer : bctx::transfer_t {};

// The scheduler's stack as the sanitizer knows it (one scheduler thread
// switches to fibers at a time).
thread_local Fiber::CallerStack Fiber::caller_stack_;

namespace {

// Where jump_fcontext (x86-64 SysV) leaves a suspended context's
// registers, as offsets from the context pointer it returns: MXCSR and
// the x87 control word, then r12, r13, r14, r15, rbx, rbp, and the return
// address into the code that switched.
enum : size_t { kR12 = 0x08, kR13 = 0x10, kR14 = 0x18, kR15 = 0x20, kRbx = 0x28, kRbp = 0x30, kRip = 0x38,
                kFrame = 0x40 };

// AddressSanitizer must be told about every stack switch.
struct AsanSwitch {
#ifdef NESTRR_ASAN_FIBERS
  void* fake = nullptr;
  void start(const void* bottom, size_t size) { __sanitizer_start_switch_fiber(&fake, bottom, size); }
  void finish(const void** bottom = nullptr, size_t* size = nullptr) {
    __sanitizer_finish_switch_fiber(fake, bottom, size);
  }
#else
  void start(const void*, size_t) {}
  void finish(const void** = nullptr, size_t* = nullptr) {}
#endif
};

uint64_t word(const void* ctx, size_t off) {
  uint64_t v;
  std::memcpy(&v, static_cast<const uint8_t*>(ctx) + off, sizeof v);
  return v;
}

}  // namespace

Fiber::Fiber(Entry entry, void* arg, size_t stack_bytes)
    : entry_(entry), arg_(arg), stack_bytes_(stack_bytes), owned_stack_(new uint8_t[stack_bytes]),
      stack_(owned_stack_.get()) {}

Fiber::Fiber(Entry entry, void* arg, size_t stack_bytes, uint8_t* stack)
    : entry_(entry), arg_(arg), stack_bytes_(stack_bytes), stack_(stack) {}

void Fiber::trampoline(Transfer t) {
  AsanSwitch{}.finish(&caller_stack_.bottom, &caller_stack_.size);
  auto* f = static_cast<Fiber*>(t.data);
  f->caller_ = t.fctx;
  f->entry_(f->arg_);
  std::fprintf(stderr, "replay fiber returned from its entry\n");
  std::abort();  // entries never return: they suspend for good
}

void Fiber::resume() {
  if (!started_) {
    started_ = true;
    self_ = bctx::make_fcontext(stack_ + stack_bytes_, stack_bytes_,
                                reinterpret_cast<void (*)(bctx::transfer_t)>(&trampoline));
  }
  FiberTraps* traps = FiberTraps::active();
  if (traps) {
    traps->entering(this, stack(), paused_);
    // Tracing a parked fiber starts here: the switch is traced through
    // until the fiber's own code runs. A paused fiber's handler sets the
    // flag itself when it returns.
    if (traps->trace_on_entry() && !paused_)
      asm volatile("sub $128, %%rsp\n\tpushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\tadd $128, %%rsp" ::
                       : "memory", "cc");
  }
  AsanSwitch sw;
  sw.start(stack_, stack_bytes_);
  bctx::transfer_t t = bctx::jump_fcontext(self_, this);
  sw.finish();
  if (traps) traps->left();
  self_ = t.fctx;
  if (!paused_) note_parked();
}

void Fiber::pause_in_trap(ucontext_t* uc) {
  paused_ = true;
  view_ = *uc;
  view_.uc_mcontext.fpregs = nullptr;  // points into the signal frame
  bctx::transfer_t t = bctx::jump_fcontext(caller_, this);
  caller_ = t.fctx;
  paused_ = false;
}

void Fiber::suspend() {
  AsanSwitch sw;
  sw.start(caller_stack_.bottom, caller_stack_.size);
  bctx::transfer_t t = bctx::jump_fcontext(caller_, this);
  sw.finish(&caller_stack_.bottom, &caller_stack_.size);
  caller_ = t.fctx;
}

void Fiber::note_parked() {
  greg_t* g = view_.uc_mcontext.gregs;
  g[REG_R12] = static_cast<greg_t>(word(self_, kR12));
  g[REG_R13] = static_cast<greg_t>(word(self_, kR13));
  g[REG_R14] = static_cast<greg_t>(word(self_, kR14));
  g[REG_R15] = static_cast<greg_t>(word(self_, kR15));
  g[REG_RBX] = static_cast<greg_t>(word(self_, kRbx));
  g[REG_RBP] = static_cast<greg_t>(word(self_, kRbp));
  g[REG_RIP] = static_cast<greg_t>(word(self_, kRip));
  g[REG_RSP] = static_cast<greg_t>(reinterpret_cast<uintptr_t>(self_) + kFrame);
}

bool Fiber::can_snapshot() {
#ifdef NESTRR_ASAN_FIBERS
  return false;
#else
  return true;
#endif
}

FiberImage Fiber::snapshot() const {
  FiberImage img;
  img.started = started_;
  img.self = self_;
  img.view = view_;
  if (started_) {
    const uint8_t* sp = static_cast<const uint8_t*>(self_);
    img.stack.assign(reinterpret_cast<const char*>(sp), stack_ + stack_bytes_ - sp);
  }
  return img;
}

void Fiber::restore(const FiberImage& img) {
  paused_ = false;  // a pause inside a trap handler is given up with its stack
  started_ = img.started;
  self_ = img.self;
  view_ = img.view;
  if (started_) {
    uint8_t* top = stack_ + stack_bytes_;
    std::memcpy(top - img.stack.size(), img.stack.data(), img.stack.size());
  }
}

StackBounds Fiber::stack() const {
  StackBounds b;
  b.lo = reinterpret_cast<uintptr_t>(stack_);
  b.hi = b.lo + stack_bytes_;
  return b;
}

}  // namespace nestrr::replay
