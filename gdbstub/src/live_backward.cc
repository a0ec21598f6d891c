// Moving the live replay backward (live_target.h): reverse-continue by
// re-running the stretches behind with the breakpoints and watches armed,
// reverse-step by tracing the step that holds the previous instruction,
// and watches by comparison where debug registers are not available.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "live_mission.h"

namespace nestrr::gdbstub {

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
