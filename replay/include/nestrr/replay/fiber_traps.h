// In-process traps on the replay's vCPU fibers, for a debugger: software
// breakpoints (int3 written into this program's code while armed), single
// instruction steps (the trap flag) and hardware watchpoints (perf_event
// breakpoints that raise SIGTRAP after the access). Every trap reaches one
// SIGTRAP handler. A trap while a fiber runs, at an instruction of this
// program, is shown to the observer, which may pause the fiber there: the
// handler switches back to the scheduler from the fiber's own stack with
// the fiber's whole register state saved, and returns into the fiber when
// it is resumed. Traps anywhere else (the scheduler, libraries) are stepped
// over unseen. Nothing here allocates while a fiber runs.
#pragma once

#include <ucontext.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nestrr/replay/stack_capture.h"

namespace nestrr::replay {

class Fiber;

// What a hardware watchpoint reacts to.
enum class WatchType : uint8_t { kWrite, kRead, kAccess };

struct WatchSpec {
  uint64_t addr = 0, len = 0;  // len 1, 2, 4 or 8, aligned to it
  WatchType type = WatchType::kWrite;
  friend bool operator==(const WatchSpec&, const WatchSpec&) = default;
};

// One thing a running fiber did that the observer may stop on.
struct TrapEvent {
  enum class Kind : uint8_t {
    kBreakpoint,  // about to run an armed instruction (addr)
    kWatch,       // just after an access to watch `watch` (addr: the watched address)
    kStep,        // about to run `addr`, while tracing
  };
  Kind kind = Kind::kStep;
  uint32_t watch = 0;  // index into the armed watches (kWatch)
  uint64_t addr = 0;
  // kBreakpoint, kStep: runs of `addr` seen in this step so far, this one
  // included; kWatch: hits of this watch in this step so far.
  uint64_t count = 0;
  uint64_t pc = 0;  // where the fiber stands
  // Events of one trap share it: a watch hit, an armed instruction and a
  // traced step at the same place and moment.
  uint64_t serial = 0;
};

class TrapObserver {
 public:
  virtual ~TrapObserver() = default;
  // Inside the signal handler, on the fiber's stack: no allocation, no
  // locks. True pauses the fiber here.
  virtual bool on_trap(const TrapEvent& event) = 0;
};

class FiberTraps {
 public:
  // The process's one instance; installs the SIGTRAP handler on first use.
  static FiberTraps& get();
  // False in sanitizer builds and off x86-64 Linux.
  static bool supported();
  // Hardware watchpoints work here (perf_event_open allows them); the
  // reason when not.
  bool hardware_watch_available(std::string* why = nullptr);

  // [lo, hi) of this program's executable code: where breakpoints may be
  // armed and where a fiber may pause.
  bool in_program_text(uint64_t addr) const { return addr >= text_lo_ && addr < text_hi_; }
  // In the program's code and not a PLT stub (a trampoline into a library).
  bool pausable(uint64_t addr) const {
    if (!in_program_text(addr)) return false;
    for (const auto& [lo, hi] : plt_)
      if (addr >= lo && addr < hi) return false;
    return true;
  }

  // Breakpoints written into the code while armed (between arm() and
  // disarm(); reads of the code in between see the int3 bytes, so a
  // debugger's reads go through original_bytes()).
  void set_breakpoints(std::vector<uint64_t> addrs);
  // Watches by hardware (at most 4 slots of 1-8 aligned bytes); false, and
  // nothing changed, when they do not fit or hardware watches are off.
  bool set_watches(const std::vector<WatchSpec>& watches);
  const std::vector<WatchSpec>& watches() const { return watch_specs_; }
  void arm();
  void disarm();
  bool armed() const { return armed_; }
  // The code as it is without breakpoints, over [addr, addr + len) of `bytes`.
  void original_bytes(uint64_t addr, std::string& bytes) const;

  // The observer of the traps of the fibers that run from now on (null:
  // none; every trap is stepped over).
  void set_observer(TrapObserver* o) { observer_ = o; }
  // Trace the running fiber: every instruction of this program it runs is
  // a kStep event. `from_entry` also traces the way into a parked fiber.
  void set_tracing(bool on) { tracing_ = on; }
  bool tracing() const { return tracing_; }

  // A new step: the counts start again.
  void new_step();

  // The instance while armed, else null: what Fiber asks on every switch.
  static FiberTraps* active() { return g_active; }
  // Called by Fiber around a switch into a fiber (`paused`: back into a
  // fiber paused by a trap, whose handler sets the trap flag itself).
  void entering(Fiber* f, StackBounds stack, bool paused);
  void left();
  // Set the trap flag before switching into a parked fiber.
  bool trace_on_entry() const { return tracing_; }

  // The handler's work (public for the C signal entry).
  void on_signal(int code, void* fault_addr, uint64_t perf_data, ucontext_t* uc);

 private:
  FiberTraps();
  struct Armed {
    uint64_t addr;
    uint8_t original;
  };
  struct Slot {
    WatchSpec spec;
    int fd = -1;
    uint64_t seen = 0;  // the counter when last read
    uint64_t hits = 0;  // in this step
    uint8_t last[8] = {};
  };
  const Armed* find_armed(uint64_t addr) const;
  uint64_t count_run(uint64_t addr);
  void write_byte(uint64_t addr, uint8_t b);
  void protect_text(bool writable);
  void close_slots();
  bool observe(TrapEvent& e, ucontext_t* uc);

  uint64_t text_lo_ = 0, text_hi_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> plt_;
  std::vector<Armed> breakpoints_;  // sorted by addr
  std::vector<WatchSpec> watch_specs_;
  std::vector<Slot> slots_;
  bool armed_ = false, text_writable_ = false;
  TrapObserver* observer_ = nullptr;
  bool tracing_ = false;
  // The fiber running now, and whether a trap has been seen inside it yet
  // (tracing's way in, before that, runs through the switch).
  Fiber* running_ = nullptr;
  StackBounds running_stack_;
  bool inside_ = false;
  static FiberTraps* g_active;
  bool reading_watch_ = false;  // the handler reads a watched value
  uint64_t step_over_ = 0;      // int3 taken out for one instruction
  bool pending_watch_ = false;  // a watch hit outside the program's code
  TrapEvent pending_{};
  uint64_t serial_ = 0;
  // Runs of each instruction address in this step: open addressing, the
  // used slots listed for a cheap reset.
  static constexpr size_t kCountSlots = size_t{1} << 16;
  std::vector<uint64_t> count_keys_, count_values_;
  std::vector<uint32_t> count_used_;
  bool counts_full_ = false;
  int perf_probe_ = -1;  // -1 unknown, 0 no, 1 yes
  std::string perf_why_;
};

}  // namespace nestrr::replay
