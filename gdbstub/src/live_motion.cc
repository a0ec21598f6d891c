// Moving the live replay in its history (live_target.h): forward runs with
// gdb's breakpoints and watches armed, single instruction steps, coming
// back to a place inside a step, and the backward searches.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "nestrr/gdbstub/live_target.h"

namespace nestrr::gdbstub {
namespace {

// Backward searches re-run the history in stretches of this many steps
// (the replay's checkpoint interval), latest first.
constexpr uint64_t kStretch = 32768;
using Clock = std::chrono::steady_clock;

}  // namespace

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

bool LiveTarget::on_trap(const replay::TrapEvent& event) {
  return mission_ && mission_->on_trap(event);
}

void LiveTarget::log_progress(Clock::time_point& next, const char* what) {
  if ((replay_.steps() & 0xfff) != 0) return;
  auto now = Clock::now();
  if (now < next) return;
  spdlog::info("live replay, {}: step {}, {} records of the log checked", what, replay_.steps(),
               replay_.records_checked());
  next = now + std::chrono::seconds(1);
}

void LiveTarget::note_step_done() {
  const uint64_t n = replay_.steps();
  if (n > step_cpu_.size()) {
    const uint32_t cpu = *replay_.last_cpu();
    step_cpu_.push_back(cpu);
    step_pc_.push_back(position_pc(cpu));
    step_records_.push_back(static_cast<uint32_t>(replay_.records_checked(cpu)));
  }
}

bool LiveTarget::advance() {
  const bool entering = !replay_.paused();
  auto next = replay_.next_cpu();
  if (!next) return false;
  if (mission_) {
    mission_->running = *next;
    if (entering) mission_->step_now = replay_.steps() + 1;
  }
  if (!replay_.step()) return false;
  if (!replay_.paused()) note_step_done();
  return true;
}

void LiveTarget::arm(std::optional<uint64_t> extra) {
  if (!traps_) return;
  std::vector<uint64_t> code = breakpoints_;
  if (extra) code.push_back(*extra);
  traps_->set_breakpoints(std::move(code));
  if (hardware_watches_) traps_->set_watches(hw_watches_);
  traps_->set_observer(this);
  traps_->arm();
}

void LiveTarget::disarm() {
  if (!traps_) return;
  traps_->disarm();
  traps_->set_tracing(false);
  traps_->set_observer(nullptr);
}

void LiveTarget::go_to(uint64_t step) {
  disarm();
  if (step < replay_.steps() || replay_.paused()) {
    replay_.seek(std::min<uint64_t>(step, step_cpu_.size()));  // from the nearest checkpoint
    reexecutions_++;
  }
  while (replay_.steps() < step && advance()) {
  }
  spot_ = {replay_.steps(), std::nullopt};
  traced_from_start_ = false;
}

void LiveTarget::run_one(Mission& m, std::optional<uint64_t> extra_code,
                         std::optional<replay::WatchSpec> extra_watch) {
  m.traps = traps_;
  m.breakpoints = &breakpoints_;
  m.gdb_watches = hw_watches_;
  arm(extra_code);
  if (extra_watch && std::find(hw_watches_.begin(), hw_watches_.end(), *extra_watch) == hw_watches_.end()) {
    std::vector<replay::WatchSpec> w = hw_watches_;
    w.push_back(*extra_watch);
    traps_->set_watches(w);
  }
  m.armed_watches = &traps_->watches();
  if (m.goal == Mission::Goal::kTrace) traps_->set_tracing(true);
  mission_ = &m;
  advance();
  mission_ = nullptr;
  disarm();
}

bool LiveTarget::reach(const Spot& s) {
  go_to(s.step);
  if (!s.inside) return true;
  if (!traps_) return false;
  Mission m;
  m.goal = Mission::Goal::kReach;
  m.target = s.inside;
  const Anchor& a = *s.inside;
  run_one(m, a.kind == Anchor::Kind::kCode ? std::optional(a.addr) : std::nullopt,
          a.kind == Anchor::Kind::kWatch ? std::optional(a.watch) : std::nullopt);
  if (!m.reached || !replay_.paused()) {
    spdlog::error("live replay: could not come back inside step {} (the replay went elsewhere)", s.step + 1);
    go_to(s.step);
    return false;
  }
  spot_ = s;
  counts_known_ = true;
  traced_from_start_ = false;
  return true;
}

void LiveTarget::recount() { reach(Spot(spot_)); }

void LiveTarget::settle(std::chrono::milliseconds budget, const std::atomic<bool>* give_up) {
  if (settled_) return;
  settled_ = true;
  const auto t0 = Clock::now();
  const bool limited = budget != std::chrono::milliseconds::max();
  auto next = t0 + std::chrono::seconds(1);
  if (start_) {
    while (replay_.steps() < *start_ && advance()) log_progress(next, "going to the start");
    if (replay_.steps() < *start_)
      throw std::invalid_argument(fmt::format("the replay has {} steps (positions 0 to {})",
                                              replay_.steps(), replay_.steps()));
    if (!replay_.next_cpu()) end_known_ = true;
  } else {
    for (;;) {
      if (!advance()) {
        end_known_ = true;
        break;
      }
      if ((replay_.steps() & 0xf) == 0 &&
          ((limited && Clock::now() - t0 > budget) || (give_up && give_up->load(std::memory_order_relaxed)))) {
        spdlog::info("live replay: a long run ({} steps in {:.2f} s and not at its end): starting at step 0; "
                     "continue runs to where it ends",
                     replay_.steps(), std::chrono::duration<double>(Clock::now() - t0).count());
        go_to(0);
        break;
      }
      log_progress(next, "first pass");
    }
    if (end_known_) {
      double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      spdlog::info("live replay, first pass done: {} steps, {} records checked, {:.2f} s", replay_.steps(),
                   replay_.records_checked(), secs);
    }
  }
  spot_ = {replay_.steps(), std::nullopt};
  // At the end of a failed run, gdb's first thread is the failing CPU.
  last_stop_ = stop_here(Stop::Why::kStep, replay_.failed_cpu());
}

Stop LiveTarget::stop_here(Stop::Why why, std::optional<uint32_t> cpu) {
  Stop s;
  s.why = why;
  if (cpu)
    s.cpu = *cpu;
  else if (auto p = replay_.paused_cpu())
    s.cpu = *p;
  else
    s.cpu = spot_.step ? step_cpu_[spot_.step - 1] : 0;
  return s;
}

Stop LiveTarget::current_stop() {
  settle();
  return last_stop_;
}

bool LiveTarget::seek(uint64_t position, std::string& why) {
  settle();
  if (position > step_cpu_.size() && !end_known_) {
    go_to(step_cpu_.size());
    auto next = Clock::now() + std::chrono::seconds(1);
    while (replay_.steps() < position && advance()) log_progress(next, "going forward");
    if (!replay_.next_cpu()) end_known_ = true;
  }
  if (position > step_cpu_.size()) {
    why = fmt::format("the replay has {} steps (positions 0 to {})", step_cpu_.size(), step_cpu_.size());
    return false;
  }
  go_to(position);
  last_stop_ = stop_here(Stop::Why::kStep, std::nullopt);
  return true;
}

const LiveTarget::Watch* LiveTarget::watch_of(const replay::WatchSpec& piece) const {
  for (const Watch& w : watches_)
    if (piece.addr >= w.addr && piece.addr < w.addr + w.len) return &w;
  return nullptr;
}

Stop LiveTarget::resume(const ResumeRequest& req) {
  settle();
  last_stop_ = req.direction == Direction::kForward ? run_forward(req) : run_backward(req);
  return last_stop_;
}

// ---- forward ----

Stop LiveTarget::run_forward(const ResumeRequest& req) {
  if (spot_.inside && !counts_known_) recount();
  const bool step = req.mode == ResumeMode::kStep;
  const bool compare = !hardware_watches_ && !watches_.empty() && !step;
  Mission m;
  m.goal = Mission::Goal::kForward;
  if (step) m.step_cpu = req.cpu;
  m.traps = traps_;
  m.breakpoints = &breakpoints_;
  m.gdb_watches = hw_watches_;
  m.assert_entry = assert_entry_;
  arm(assert_entry_ ? std::optional(assert_entry_) : std::nullopt);
  if (traps_) m.armed_watches = &traps_->watches();
  std::vector<std::string> watched = compare ? watched_now() : std::vector<std::string>{};
  auto next_report = Clock::now() + std::chrono::seconds(1);
  uint64_t polled = 0;
  Stop out;
  for (;;) {
    auto next = replay_.next_cpu();
    if (!next) {
      end_known_ = true;
      disarm();
      spot_ = {replay_.steps(), std::nullopt};
      return stop_here(Stop::Why::kHistoryEnd, std::nullopt);
    }
    const bool entering = !replay_.paused();
    const bool tracing = step && traps_ && req.cpu && *next == *req.cpu;
    if (tracing && entering) {
      const ucontext_t* c = replay_.context(*next);
      m.skip_armed = c != nullptr;
      m.skip_pc = c ? static_cast<uint64_t>(c->uc_mcontext.gregs[REG_RIP]) : 0;
    }
    if (entering)
      traced_from_start_ = tracing;
    else if (!tracing)
      traced_from_start_ = false;
    if (traps_) traps_->set_tracing(tracing);
    const Spot before = spot_;
    const bool failed_before = replay_.failed_cpu().has_value();
    mission_ = &m;
    advance();
    mission_ = nullptr;
    if (replay_.paused()) {
      const replay::TrapEvent e = *m.paused_on;
      disarm();
      Anchor a;
      out = stop_here(Stop::Why::kStep, *replay_.paused_cpu());
      if (e.kind == replay::TrapEvent::Kind::kWatch) {
        a.kind = Anchor::Kind::kWatch;
        a.watch = m.spec(e);
        a.count = e.count;
        out.why = Stop::Why::kWatchpoint;
        const Watch* w = watch_of(a.watch);
        out.watch_addr = w ? w->addr : a.watch.addr;
        out.watch_kind = w ? w->kind : WatchKind::kWrite;
      } else if (e.kind == replay::TrapEvent::Kind::kBreakpoint || traced_from_start_ || !before.inside) {
        a.addr = e.addr;
        a.count = e.count;
        if (e.kind == replay::TrapEvent::Kind::kBreakpoint && e.addr == assert_entry_ &&
            std::find(breakpoints_.begin(), breakpoints_.end(), e.addr) == breakpoints_.end()) {
          // The logged run's assertion failure, about to be reported.
          out.assertion = true;
          assert_stopped_in_ = replay_.steps() + 1;
        } else if (e.kind == replay::TrapEvent::Kind::kBreakpoint) {
          out.why = Stop::Why::kBreakpoint;
          out.at_breakpoint = true;
        }
      } else {
        a = *before.inside;  // one more instruction after the same place
        a.then_steps++;
      }
      spot_ = {replay_.steps(), a};
      counts_known_ = true;
      return out;
    }
    spot_ = {replay_.steps(), std::nullopt};
    if (!failed_before && replay_.failed_cpu() && assert_stopped_in_ != replay_.steps()) {
      // The run's assertion failed in this step: a stop, as a program's abort is.
      disarm();
      out = stop_here(Stop::Why::kStep, *replay_.failed_cpu());
      out.assertion = true;
      return out;
    }
    if (tracing || (step && !traps_ && req.cpu && replay_.last_cpu() == req.cpu)) {
      // The stepped vCPU parked before reaching another instruction of
      // the program: its step ends at the park.
      disarm();
      return stop_here(Stop::Why::kStep, req.cpu);
    }
    if (compare) {
      std::vector<std::string> now = watched_now();
      for (size_t w = 0; w < now.size(); ++w)
        if (now[w] != watched[w]) {
          disarm();
          out = stop_here(Stop::Why::kWatchpoint, std::nullopt);
          out.watch_addr = watches_[w].addr;
          return out;
        }
    }
    if (req.interrupted && ++polled % 1024 == 0 && req.interrupted()) {
      disarm();
      return stop_here(Stop::Why::kInterrupted, std::nullopt);
    }
    log_progress(next_report, "running");
  }
}

// ---- backward ----

std::optional<Anchor> LiveTarget::before_access(uint64_t step, const replay::WatchSpec& watch, uint64_t count) {
  go_to(step - 1);
  Mission m;
  m.goal = Mission::Goal::kTrace;
  m.find_watch = watch;
  m.find_count = count;
  run_one(m, std::nullopt, watch);
  if (!m.reached || !m.before.valid) return std::nullopt;
  Anchor a;
  a.addr = m.before.addr;
  a.count = m.before.count;
  return a;
}

std::optional<LiveTarget::Found> LiveTarget::latest_hit_before(const ResumeRequest& req, bool& interrupted) {
  interrupted = false;
  const Spot from = spot_;
  auto found = [&](const Mission::Hit& h) {
    Found f;
    f.spot.step = h.step - 1;
    f.stop = stop_here(Stop::Why::kBreakpoint, step_cpu_.size() >= h.step ? step_cpu_[h.step - 1] : 0);
    if (h.event.kind == replay::TrapEvent::Kind::kBreakpoint) {
      f.spot.inside = Anchor{Anchor::Kind::kCode, h.event.addr, {}, h.event.count, 0};
      f.stop.at_breakpoint = true;
      return f;
    }
    // A watch stops before the access, so gdb sees the value it had.
    f.stop.why = Stop::Why::kWatchpoint;
    const Watch* w = watch_of(h.watch);
    f.stop.watch_addr = w ? w->addr : h.watch.addr;
    f.stop.watch_kind = w ? w->kind : WatchKind::kWrite;
    if (auto a = before_access(h.step, h.watch, h.event.count))
      f.spot.inside = *a;
    else
      f.spot.inside = Anchor{Anchor::Kind::kWatch, 0, h.watch, h.event.count, 0};
    return f;
  };
  // The part of the step we are inside of, up to here.
  if (from.inside) {
    go_to(from.step);
    Mission m;
    m.goal = Mission::Goal::kReach;
    m.collect = true;
    m.target = from.inside;
    const Anchor& a = *from.inside;
    run_one(m, a.kind == Anchor::Kind::kCode ? std::optional(a.addr) : std::nullopt,
            a.kind == Anchor::Kind::kWatch ? std::optional(a.watch) : std::nullopt);
    if (m.reached && m.hit_count) return found(m.hits[1]);
  }
  // Whole steps behind, a stretch at a time, latest first.
  uint64_t hi = from.step;
  while (hi > 0) {
    const uint64_t lo = (hi - 1) / kStretch * kStretch;
    go_to(lo);
    Mission m;
    m.goal = Mission::Goal::kCollect;
    m.traps = traps_;
    m.breakpoints = &breakpoints_;
    m.gdb_watches = hw_watches_;
    arm();
    m.armed_watches = &traps_->watches();
    mission_ = &m;
    while (replay_.steps() < hi && advance()) {
    }
    mission_ = nullptr;
    disarm();
    if (m.hit_count) return found(m.hits[1]);
    if (req.interrupted && req.interrupted()) {
      interrupted = true;
      return std::nullopt;
    }
    hi = lo;
  }
  return std::nullopt;
}

std::optional<Spot> LiveTarget::previous_instruction(uint32_t cpu, const Spot& spot) {
  if (spot.inside && replay_.paused_cpu() == cpu) {
    go_to(spot.step);
    Mission m;
    m.goal = Mission::Goal::kTrace;
    m.target = spot.inside;
    const Anchor& a = *spot.inside;
    run_one(m, std::nullopt, a.kind == Anchor::Kind::kWatch ? std::optional(a.watch) : std::nullopt);
    if (m.reached && m.before.valid)
      return Spot{spot.step, Anchor{Anchor::Kind::kCode, m.before.addr, {}, m.before.count, 0}};
  }
  // The last instruction of the vCPU's latest whole step before here.
  for (uint64_t s = std::min<uint64_t>(spot.step, step_cpu_.size()); s >= 1; --s) {
    if (step_cpu_[s - 1] != cpu) continue;
    go_to(s - 1);
    Mission m;
    m.goal = Mission::Goal::kTrace;
    run_one(m);
    if (m.cur.valid) return Spot{s - 1, Anchor{Anchor::Kind::kCode, m.cur.addr, {}, m.cur.count, 0}};
  }
  return std::nullopt;
}

Stop LiveTarget::step_back(uint32_t cpu) {
  const Spot from = spot_;
  if (!traps_) {
    // Step-granular: back to before the vCPU's latest step.
    for (uint64_t i = std::min<uint64_t>(from.step, step_cpu_.size()); i >= 1; --i)
      if (step_cpu_[i - 1] == cpu) {
        go_to(i - 1);
        return stop_here(Stop::Why::kStep, cpu);
      }
    return stop_here(Stop::Why::kHistoryBegin, cpu);
  }
  if (auto prev = previous_instruction(cpu, from); prev && reach(*prev)) return stop_here(Stop::Why::kStep, cpu);
  reach(from);
  return stop_here(Stop::Why::kHistoryBegin, cpu);
}

Stop LiveTarget::run_backward(const ResumeRequest& req) {
  if (req.mode == ResumeMode::kStep) return step_back(req.cpu ? *req.cpu : last_stop_.cpu);
  const Spot from = spot_;
  if (traps_ && (!breakpoints_.empty() || !hw_watches_.empty())) {
    bool interrupted = false;
    auto f = latest_hit_before(req, interrupted);
    if (interrupted) {
      reach(from);
      return stop_here(Stop::Why::kInterrupted, std::nullopt);
    }
    if (f && reach(f->spot)) {
      f->stop.cpu = replay_.paused_cpu().value_or(f->stop.cpu);
      return f->stop;
    }
  } else if (!watches_.empty()) {
    if (reverse_to_watch_change(0, req)) return last_stop_;
    if (req.interrupted && req.interrupted()) {
      reach(from);
      return stop_here(Stop::Why::kInterrupted, std::nullopt);
    }
  }
  go_to(0);
  return stop_here(Stop::Why::kHistoryBegin, std::nullopt);
}

// ---- watches by comparison, where debug registers are not available ----

std::vector<std::string> LiveTarget::watched_now() {
  std::vector<std::string> out;
  out.reserve(watches_.size());
  for (const Watch& w : watches_) out.push_back(read_memory(w.addr, w.len));
  return out;
}

bool LiveTarget::reverse_to_watch_change(uint64_t floor, const ResumeRequest& req) {
  // Stretches of one checkpoint interval, latest first: re-run each from
  // its start, remembering the last step that changed a watched value.
  uint64_t hi = spot_.step;
  while (hi > floor) {
    const uint64_t lo = hi - floor > kStretch ? hi - kStretch : floor;
    go_to(lo);
    std::vector<std::string> before = watched_now();
    uint64_t changed_at = 0, changed_addr = 0;
    while (replay_.steps() < hi && advance()) {
      std::vector<std::string> now = watched_now();
      for (size_t w = 0; w < now.size(); ++w)
        if (now[w] != before[w]) {
          changed_at = replay_.steps();
          changed_addr = watches_[w].addr;
        }
      before = std::move(now);
    }
    if (changed_at) {
      go_to(changed_at - 1);
      last_stop_ = stop_here(Stop::Why::kWatchpoint, step_cpu_[changed_at - 1]);  // the writer, about to run
      last_stop_.watch_addr = changed_addr;
      return true;
    }
    if (req.interrupted && req.interrupted()) break;
    hi = lo;
  }
  return false;
}

}  // namespace nestrr::gdbstub
