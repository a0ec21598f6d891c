// Moving the live replay forward (live_target.h): settling where to
// start, running with gdb's breakpoints and watches armed, single
// instruction steps, and coming back to a place inside a step. Going
// backward is live_backward.cc.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "live_mission.h"

namespace nestrr::gdbstub {
namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

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

uint64_t LiveTarget::save_place() {
  settle();
  places_.push_back(spot_);
  return places_.size();
}

bool LiveTarget::restore_place(uint64_t id, std::string& why) {
  settle();
  if (id == 0 || id > places_.size()) {
    why = fmt::format("no checkpoint {}", id);
    return false;
  }
  if (!reach(places_[id - 1])) {
    why = "the replay did not come back there";
    return false;
  }
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

}  // namespace nestrr::gdbstub
