// explore(): runs schedules chosen by a strategy, checks each one (the
// assertion it ended in, a deadlock, the state checker over its log) and
// keeps the failing runs' logs.
#include "nestrr/replay/explore.h"

#include <sstream>
#include <stdexcept>

#include "explore_machine.h"
#include "explore_strategy.h"
#include "nestrr/check/check.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"

namespace nestrr::replay {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<Strategy> make_strategy(const ExploreOptions& o) {
  switch (o.strategy) {
    case ExploreStrategy::kPct: return make_pct_strategy(o.seed, o.depth, o.scenario.cpu_count());
    case ExploreStrategy::kBounded: return make_bounded_strategy(o.bound);
    case ExploreStrategy::kRandom: return make_random_strategy(o.seed);
  }
  throw std::invalid_argument("unknown exploration strategy");
}

// What is wrong with one run, if anything.
std::optional<ExploreFinding> judge(ExploredRun& run, bool check) {
  ExploreFinding f;
  f.steps = run.steps;
  switch (run.end) {
    case ExploredRun::End::kAssertion:
      f.kind = ExploreFinding::Kind::kAssertion;
      f.cpu = run.cpu;
      f.condition = run.condition;
      f.file = run.file;
      f.line = run.line;
      f.progress = run.progress;
      f.summary = "assertion '" + run.condition + "' failed on cpu" + std::to_string(run.cpu) +
                  " at progress " + std::to_string(run.progress) + " (" + run.file + ":" +
                  std::to_string(run.line) + ")";
      break;
    case ExploredRun::End::kDeadlock:
      f.kind = ExploreFinding::Kind::kDeadlock;
      f.summary = "deadlock: " + run.stuck;
      break;
    case ExploredRun::End::kStepLimit:
      f.kind = ExploreFinding::Kind::kStepLimit;
      f.summary = "no end after " + std::to_string(run.steps) + " decisions (livelock?)";
      break;
    case ExploredRun::End::kCompleted: {
      if (!check) return std::nullopt;
      std::istringstream in(run.log);
      eventlog::Log log = eventlog::read_log(in);
      check::CheckReport report = check::check_log(log, eventlog::merge(log));
      if (report.clean()) return std::nullopt;
      f.kind = ExploreFinding::Kind::kViolation;
      for (const auto& v : report.violations) f.invariants.push_back(v.invariant);
      f.summary = "invariant " + report.violations.front().invariant + " violated: " +
                  report.violations.front().message;
      if (report.violations.size() > 1)
        f.summary += " (+" + std::to_string(report.violations.size() - 1) + " more)";
      break;
    }
  }
  f.log = std::move(run.log);
  return f;
}

}  // namespace

const char* strategy_name(ExploreStrategy s) {
  switch (s) {
    case ExploreStrategy::kPct: return "pct";
    case ExploreStrategy::kBounded: return "bounded";
    case ExploreStrategy::kRandom: return "random";
  }
  return "?";
}

bool parse_strategy(const std::string& name, ExploreStrategy* out) {
  for (auto s : {ExploreStrategy::kPct, ExploreStrategy::kBounded, ExploreStrategy::kRandom}) {
    if (name == strategy_name(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

const char* finding_kind_name(ExploreFinding::Kind k) {
  switch (k) {
    case ExploreFinding::Kind::kAssertion: return "assertion";
    case ExploreFinding::Kind::kViolation: return "invariant violation";
    case ExploreFinding::Kind::kDeadlock: return "deadlock";
    case ExploreFinding::Kind::kStepLimit: return "step limit";
  }
  return "?";
}

double ExploreResult::schedules_per_second() const {
  double s = std::chrono::duration<double>(elapsed).count();
  return s > 0 ? static_cast<double>(schedules) / s : 0.0;
}

Scenario explore_scenario(core_variant variant, uint32_t cpus, core_workload_kind other,
                          uint64_t iterations) {
  Scenario s;
  s.variant = variant;
  s.iterations = iterations;
  s.origin = "explore";
  for (uint32_t i = 0; i < cpus; ++i) s.workload.push_back(i == 0 ? CORE_WORKLOAD_L1 : other);
  return s;
}

core_workload_kind explore_other_workload(core_variant variant) {
  if (variant == CORE_VARIANT_EPT01_FLUSH_INCOMPLETE) return CORE_WORKLOAD_REMAP;
  if (variant_needs_guest_nmis(variant)) return CORE_WORKLOAD_NMI;
  return CORE_WORKLOAD_PAL;
}

ExploreResult explore(const ExploreOptions& o) {
  ExploreMachine machine(o.scenario, o.max_steps);
  std::unique_ptr<Strategy> strategy = make_strategy(o);
  ExploreResult r;
  auto t0 = Clock::now();
  auto next_progress = t0 + o.progress_interval;
  for (;;) {
    if (o.schedules && r.schedules >= o.schedules) break;
    if (!strategy->begin()) {
      r.exhausted = true;
      break;
    }
    ExploredRun run = machine.run(*strategy);
    r.schedules++;
    r.steps += run.steps;
    if (auto f = judge(run, o.check)) {
      f->schedule = r.schedules;
      r.findings.push_back(std::move(*f));
      if (!o.all) break;
    }
    if (o.progress) {
      auto now = Clock::now();
      if (now >= next_progress) {
        o.progress({r.schedules, r.steps, r.findings.size(),
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - t0)});
        next_progress = now + o.progress_interval;
      }
    }
  }
  r.elapsed = Clock::now() - t0;
  return r;
}

}  // namespace nestrr::replay
