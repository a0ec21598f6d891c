// explore(): runs schedules chosen by a strategy, checks each one (the
// assertion it ended in, a deadlock, the state checker over its log),
// minimizes the failing ones and keeps their logs. With a shard, runs only
// its share of the search (explore.h, ExploreShard).
#include "nestrr/replay/explore.h"

#include <charconv>
#include <sstream>
#include <stdexcept>

#include "explore_machine.h"
#include "explore_minimize.h"
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
    case ExploreStrategy::kBounded:
      return make_bounded_strategy(o.bound, {o.shard.index, o.shard.count});
    case ExploreStrategy::kRandom: return make_random_strategy(o.seed);
    case ExploreStrategy::kLanding: return make_landing_strategy(o.seed, o.scenario.cpu_count());
  }
  throw std::invalid_argument("unknown exploration strategy");
}

// What is wrong with one run, if anything (the log is left in the run).
std::optional<ExploreFinding> judge(const ExploredRun& run, bool check) {
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
  return f;
}

// Whether `f` is the same failure as `g`: the same kind, and the same
// assertion or first violated invariant.
bool same_failure(const ExploreFinding& f, const ExploreFinding& g) {
  if (f.kind != g.kind) return false;
  if (f.kind == ExploreFinding::Kind::kAssertion)
    return f.condition == g.condition && f.file == g.file && f.line == g.line;
  if (f.kind == ExploreFinding::Kind::kViolation)
    return !f.invariants.empty() && !g.invariants.empty() && f.invariants[0] == g.invariants[0];
  return true;
}

// Judges a run; a failing one is minimized (if asked) and becomes a finding.
std::optional<ExploreFinding> examine(ExploreMachine& machine, ExploredRun& run,
                                      const ExploreOptions& o) {
  std::optional<ExploreFinding> f = judge(run, o.check);
  if (!f) return f;
  f->found_cost = cost_of(run.trace);
  if (o.minimize) {
    const ExploreFinding want = *f;
    Minimized m = minimize_schedule(
        machine, run,
        [&](ExploredRun& candidate) {
          auto g = judge(candidate, o.check);
          return g && same_failure(*g, want);
        },
        o.minimize_budget);
    f = judge(m.run, o.check);  // the minimized run's own details
    f->found_cost = cost_of(run.trace);
    f->minimize_runs = m.runs;
    f->cost = cost_of(m.run.trace);
    f->log = std::move(m.run.log);
  } else {
    f->cost = f->found_cost;
    f->log = std::move(run.log);
  }
  return f;
}

}  // namespace

const char* strategy_name(ExploreStrategy s) {
  switch (s) {
    case ExploreStrategy::kPct: return "pct";
    case ExploreStrategy::kBounded: return "bounded";
    case ExploreStrategy::kRandom: return "random";
    case ExploreStrategy::kLanding: return "landing";
  }
  return "?";
}

bool parse_strategy(const std::string& name, ExploreStrategy* out) {
  for (auto s : {ExploreStrategy::kPct, ExploreStrategy::kBounded, ExploreStrategy::kRandom,
                 ExploreStrategy::kLanding}) {
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

ExploreShard parse_shard(const std::string& spec) {
  auto slash = spec.find('/');
  auto number = [&](std::string_view s, const char* what) {
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size())
      throw std::invalid_argument("shard wants I/N with whole numbers, got '" + spec + "' (bad " +
                                  what + ")");
    return v;
  };
  if (slash == std::string::npos)
    throw std::invalid_argument("shard wants I/N (e.g. 0/4), got '" + spec + "'");
  ExploreShard s;
  s.index = number(std::string_view(spec).substr(0, slash), "I");
  s.count = number(std::string_view(spec).substr(slash + 1), "N");
  if (s.count == 0) throw std::invalid_argument("shard '" + spec + "': N must be at least 1");
  if (s.index >= s.count)
    throw std::invalid_argument("shard '" + spec + "': I must be below N (0.." +
                                std::to_string(s.count - 1) + ")");
  return s;
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
  if (o.shard.count == 0 || o.shard.index >= o.shard.count)
    throw std::invalid_argument("bad shard " + std::to_string(o.shard.index) + "/" +
                                std::to_string(o.shard.count));
  ExploreMachine machine(o.scenario, o.max_steps);
  std::unique_ptr<Strategy> strategy = make_strategy(o);
  const ShardSpec shard{o.shard.index, o.shard.count};
  ExploreResult r;
  auto t0 = Clock::now();
  auto next_progress = t0 + o.progress_interval;
  const auto deadline = t0 + o.time_limit;
  // Runs one schedule; false once the search should stop.
  auto one = [&](bool reported, uint64_t number) {
    if (o.time_limit.count() > 0 && Clock::now() >= deadline) {
      r.timed_out = true;
      return false;
    }
    ExploredRun run = machine.run(*strategy);
    if (!reported) return true;
    r.schedules++;
    r.steps += run.steps;
    if (auto f = examine(machine, run, o)) {
      f->schedule = number;
      r.findings.push_back(std::move(*f));
      if (!o.all) return false;
    }
    if (o.progress) {
      auto now = Clock::now();
      if (now >= next_progress) {
        o.progress({r.schedules, r.steps, r.findings.size(),
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - t0)});
        next_progress = now + o.progress_interval;
      }
    }
    return true;
  };
  if (strategy->indexed()) {
    // Run numbers 0, 1, ...: this shard's, and run 0 everywhere.
    for (uint64_t i = 0; o.schedules == 0 || i < o.schedules; ++i) {
      const bool mine = shard.owns(i);
      if (!mine && i != 0) continue;
      strategy->begin(i);
      if (!one(mine, i + 1)) break;
    }
  } else {
    uint64_t walked = 0;
    for (;;) {
      if (o.schedules && r.schedules >= o.schedules) break;
      if (!strategy->begin(walked)) {
        r.exhausted = true;
        break;
      }
      walked++;
      const bool mine = strategy->reported();
      if (!one(mine, r.schedules + 1)) break;
    }
  }
  r.elapsed = Clock::now() - t0;
  return r;
}

}  // namespace nestrr::replay
