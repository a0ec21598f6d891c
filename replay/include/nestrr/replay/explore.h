// Exploration: the core on fibers under the same deterministic scheduler as
// replay, but with nobody's log to follow: at every yield point a strategy
// decides which CPU runs next and whether a pending NMI is delivered there.
// Each explored run logs through the logger into memory (header scenario
// origin "explore", a logical clock as TSC), so a failing schedule is a
// real log that `replay()` re-executes. Invariant violations are found by
// running the state checker on each run's log.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nestrr/replay/scenario.h"

namespace nestrr::replay {

enum class ExploreStrategy {
  kPct,      // random priorities, depth-1 priority change points (Burckhardt et al.)
  kBounded,  // systematic DFS over schedules with at most `bound` preemptions
  kRandom,   // a uniformly random choice at every decision (baseline)
  kLanding,  // NMIs held until their CPU parks at a target landing (point, VMX mode);
             // later runs cover the landings run 0 showed, rarest first
};
const char* strategy_name(ExploreStrategy s);
bool parse_strategy(const std::string& name, ExploreStrategy* out);

struct ExploreProgress {
  uint64_t schedules = 0;  // runs finished
  uint64_t steps = 0;      // scheduling decisions, all runs
  uint64_t findings = 0;
  std::chrono::milliseconds elapsed{0};
};

// Shard I of N of a search (`nestrr explore --shard I/N`): indexed
// strategies run the run numbers i with i % N == I (run 0, which they learn
// from, everywhere, but only shard 0 reports it); bounded search walks the
// subtrees whose first deviation hashes to I.
struct ExploreShard {
  uint32_t index = 0;
  uint32_t count = 1;
};
// Parses "I/N" (0 <= I < N). Throws std::invalid_argument naming the problem.
ExploreShard parse_shard(const std::string& spec);

// The cost of a schedule: deviations from the default schedule (the last
// CPU goes on, a pending NMI is taken at once), of which preemptions and
// late NMIs, and the NMIs it delivered.
struct ExploreCost {
  uint64_t preemptions = 0;
  uint64_t late_nmis = 0;
  uint64_t nmis = 0;
  uint64_t deviations = 0;
  uint64_t steps = 0;
};

struct ExploreOptions {
  Scenario scenario;  // origin is set to "explore"; iterations must be > 0
  ExploreStrategy strategy = ExploreStrategy::kPct;
  uint32_t bound = 1;          // bounded: preemptions per schedule
  uint32_t depth = 3;          // PCT: bug depth d (d - 1 change points)
  uint64_t schedules = 10000;  // at most this many runs (0 = no limit; bounded stops when exhausted)
  uint64_t seed = 1;           // PCT and random
  bool all = false;            // go on after the first finding
  bool check = true;           // run the state checker on every run's log
  uint64_t max_steps = 1'000'000;  // per run: a longer run is reported as a livelock
  ExploreShard shard;
  // Stop after this much wall time (0: no limit). A budget for a person at
  // a terminal or a benchmark: unlike --schedules it makes the result depend
  // on the machine.
  std::chrono::milliseconds time_limit{0};
  bool minimize = true;            // minimize every finding before reporting it
  uint64_t minimize_budget = 300;  // candidate runs per finding (no clock: deterministic)
  std::function<void(const ExploreProgress&)> progress;
  std::chrono::milliseconds progress_interval{100};
};

struct ExploreFinding {
  enum class Kind { kAssertion, kViolation, kDeadlock, kStepLimit } kind = Kind::kAssertion;
  uint64_t schedule = 0;   // 1-based number of the run that found it (run number + 1;
                           // bounded: its place in this shard's walk)
  uint64_t steps = 0;      // decisions in that run
  std::string summary;     // one line: condition / invariant and message
  // kAssertion: where it failed.
  uint32_t cpu = 0;
  std::string condition, file;
  uint32_t line = 0;
  uint64_t progress = 0;
  std::vector<std::string> invariants;  // kViolation: the violated invariant ids
  std::string log;  // the (minimized) run's complete log (.nrr bytes): `nestrr replay` input
  ExploreCost cost;        // of the schedule in `log`
  ExploreCost found_cost;  // of the schedule as found, before minimization
  uint64_t minimize_runs = 0;  // candidate schedules minimization tried
};
const char* finding_kind_name(ExploreFinding::Kind k);

struct ExploreResult {
  uint64_t schedules = 0;  // runs this shard counts (indexed: run numbers it owns and ran)
  uint64_t steps = 0;
  bool exhausted = false;  // bounded: every schedule within the bound ran
  bool timed_out = false;  // stopped by time_limit
  std::vector<ExploreFinding> findings;  // in the order found
  std::chrono::nanoseconds elapsed{0};
  double schedules_per_second() const;
};

// The scenario exploration runs by default: CPU 0 runs L1 (VMXON..VMXOFF
// with one L2 launch), the other CPUs run `other` (PAL registrations or
// remaps, each a quiesce with NMIs); `iterations` each. Small on purpose:
// bounded search on 2 CPUs is exhaustive in seconds.
Scenario explore_scenario(core_variant variant, uint32_t cpus,
                          core_workload_kind other = CORE_WORKLOAD_PAL, uint64_t iterations = 1);
// What the other CPUs run by default for a variant: remap for
// ept01-flush-incomplete (its bug needs moved bitmap pages), nmi for the
// guest-NMI variants, pal otherwise.
core_workload_kind explore_other_workload(core_variant variant);

// Throws std::invalid_argument for an unusable scenario or options.
ExploreResult explore(const ExploreOptions& options);

}  // namespace nestrr::replay
