// What the live target's trap observer is after while the replay runs
// (live_target.h): one Mission per run, set up before it, consulted by
// the SIGTRAP handler - so nothing here allocates.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "nestrr/gdbstub/live_target.h"

namespace nestrr::gdbstub {

// Backward searches re-run the history in stretches of this many steps
// (the replay's checkpoint interval), latest first.
inline constexpr uint64_t kStretch = 32768;

// What the trap observer does while the replay runs. Everything it
// touches is set up before the run: it is called inside a signal handler.
struct LiveTarget::Mission {
  enum class Goal {
    kForward,  // stop at gdb's breakpoints and watches, and a step's end
    kReach,    // stop at `target` (and with `collect`, note the hits before it)
    kCollect,  // note the latest hits, never stop
    kTrace,    // every instruction is traced: note the last ones; stop at
               // `target`, or before the `find_count`th hit of `find_watch`
  };
  Goal goal = Goal::kForward;
  const std::vector<uint64_t>* breakpoints = nullptr;  // gdb's
  std::vector<replay::WatchSpec> gdb_watches;          // gdb's, as pieces
  const std::vector<replay::WatchSpec>* armed_watches = nullptr;  // by slot
  uint32_t running = 0;  // the vCPU running now
  uint64_t step_now = 0;  // its step (1-based)

  // kForward with a single step: the vCPU stepped, and the place a parked
  // one is shown at (its first instruction on the way back in, skipped).
  std::optional<uint32_t> step_cpu;
  uint64_t skip_pc = 0;
  bool skip_armed = false;
  uint64_t assert_entry = 0;  // also stop here: the logged run's assertion failed

  // kReach, kTrace: where to stop.
  std::optional<Anchor> target;
  bool met = false, reached = false;
  uint64_t met_serial = 0, steps_left = 0;
  bool collect = false;

  struct Hit {
    replay::TrapEvent event;
    replay::WatchSpec watch;
    uint64_t step = 0;
  };
  Hit hits[2];  // the latest two (a breakpoint at the stop itself is not before it)
  int hit_count = 0;

  struct Landing {
    uint64_t addr = 0, count = 0;
    bool valid = false;
  };
  Landing prev, cur;  // kTrace: the last two instructions traced
  std::optional<replay::WatchSpec> find_watch;
  uint64_t find_count = 0;
  Landing before;  // kTrace: the instruction before the stop

  std::optional<replay::TrapEvent> paused_on;
  replay::FiberTraps* traps = nullptr;

  bool gdb_breakpoint(uint64_t addr) const {
    return breakpoints && std::find(breakpoints->begin(), breakpoints->end(), addr) != breakpoints->end();
  }
  const replay::WatchSpec& spec(const replay::TrapEvent& e) const { return (*armed_watches)[e.watch]; }
  bool gdb_watch(const replay::TrapEvent& e) const {
    return std::find(gdb_watches.begin(), gdb_watches.end(), spec(e)) != gdb_watches.end();
  }
  bool matches(const replay::TrapEvent& e, const Anchor& a) const {
    if (a.kind == Anchor::Kind::kCode)
      return e.kind != replay::TrapEvent::Kind::kWatch && e.addr == a.addr && e.count == a.count;
    return e.kind == replay::TrapEvent::Kind::kWatch && spec(e) == a.watch && e.count == a.count;
  }
  void note_hit(const replay::TrapEvent& e) {
    const bool bp = e.kind == replay::TrapEvent::Kind::kBreakpoint && gdb_breakpoint(e.addr);
    const bool wp = e.kind == replay::TrapEvent::Kind::kWatch && gdb_watch(e);
    if (!bp && !wp) return;
    hits[0] = hits[1];
    hits[1] = {e, wp ? spec(e) : replay::WatchSpec{}, step_now};
    hit_count = std::min(hit_count + 1, 2);
  }
  bool stop(const replay::TrapEvent& e) {
    paused_on = e;
    return true;
  }

  bool on_trap(const replay::TrapEvent& e) {
    using K = replay::TrapEvent::Kind;
    if (goal == Goal::kForward) {
      if (e.kind == K::kBreakpoint && (gdb_breakpoint(e.addr) || (assert_entry && e.addr == assert_entry)))
        return stop(e);
      if (e.kind == K::kWatch && gdb_watch(e)) return stop(e);
      if (e.kind == K::kStep && step_cpu && *step_cpu == running) {
        const bool skip = skip_armed && e.pc == skip_pc;
        skip_armed = false;
        if (!skip) return stop(e);
      }
      return false;
    }
    if (goal == Goal::kTrace && e.kind == K::kStep) {
      prev = cur;
      cur = {e.addr, e.count, true};
    }
    if (goal == Goal::kTrace && find_watch && e.kind == K::kWatch && spec(e) == *find_watch &&
        e.count == find_count) {
      before = cur;  // this access's instruction ran before the place traced now
      reached = true;
      return stop(e);
    }
    if (target && !met && matches(e, *target)) {
      met = true;
      met_serial = e.serial;
      if (target->then_steps == 0) {
        reached = true;
        before = e.kind == K::kStep ? prev : cur;
        // A watch's place is right after its access: the access is behind
        // it, the latest hit going backward.
        if (collect && e.kind == K::kWatch) note_hit(e);
        return stop(e);
      }
      steps_left = target->then_steps;
      traps->set_tracing(true);
    }
    if (met && !reached && e.kind == K::kStep && e.serial != met_serial && --steps_left == 0) {
      reached = true;
      before = prev;
      // A breakpoint at this very place is where we stop, not before it.
      if (collect && hit_count && hits[1].event.serial == e.serial &&
          hits[1].event.kind == K::kBreakpoint) {
        hits[1] = hits[0];
        hit_count--;
      }
      return stop(e);
    }
    if (collect || goal == Goal::kCollect) note_hit(e);
    return false;
  }
};

}  // namespace nestrr::gdbstub
