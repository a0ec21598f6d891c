// Schedule search: how many schedules, and how many seconds, each strategy
// needs to the first finding of each bug variant, and the fixed variant's
// sweep (table and method in bench/README.md; bench/explore_search runs it).
// Rows:
//   Search/<variant>/cpus:C/iter:I/<strategy>
//       per seed 1..S (bounded: one walk, it has no seed): schedules and
//       seconds to the first finding, at most NESTRR_SEARCH_CAP schedules and
//       NESTRR_SEARCH_SECONDS seconds per seed (a search cut there is
//       censored). Counters: the medians over the seeds run (a censored
//       median is reported as the cap, with censored_median = 1), how many
//       found it, how many seeds ran (seeds stop once more than half are
//       censored: the median is then known to be beyond the cap).
//   Fixed/cpus:C/<workloads>/<strategy>
//       the fixed variant for NESTRR_FIXED_SCHEDULES schedules, every run
//       checked; counter findings must be 0. Bounded search raises its
//       bound (1, 2, 3) until its space holds that many schedules or the
//       bound is 3 (counter bound).
// All strategies run in one process on the same machine, so their counters
// compare directly; ratios are taken against random of the same cell.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "nestrr/replay/explore.h"

namespace {

using nestrr::replay::ExploreOptions;
using nestrr::replay::ExploreStrategy;

uint64_t env(const char* name, uint64_t fallback) {
  const char* s = std::getenv(name);
  return s ? std::strtoull(s, nullptr, 10) : fallback;
}

const uint64_t kSeeds = env("NESTRR_SEARCH_SEEDS", 20);
const uint64_t kCap = env("NESTRR_SEARCH_CAP", 20000);
const uint64_t kSeconds = env("NESTRR_SEARCH_SECONDS", 20);
const uint64_t kFixedSchedules = env("NESTRR_FIXED_SCHEDULES", 10000);

struct Sample {
  uint64_t schedules;
  double seconds;
  bool found;
};

void search(benchmark::State& state, core_variant variant, uint32_t cpus, uint64_t iterations,
            ExploreStrategy strategy) {
  ExploreOptions o;
  o.scenario = nestrr::replay::explore_scenario(
      variant, cpus, nestrr::replay::explore_other_workload(variant), iterations);
  o.strategy = strategy;
  o.schedules = kCap;
  o.time_limit = std::chrono::seconds(kSeconds);
  o.minimize = false;  // the search alone; minimization is measured apart
  o.bound = 1;
  std::vector<Sample> samples;
  for (auto _ : state) {
    const uint64_t seeds = strategy == ExploreStrategy::kBounded ? 1 : kSeeds;
    uint64_t censored = 0;
    for (uint64_t seed = 1; seed <= seeds && censored * 2 <= seeds; ++seed) {
      o.seed = seed;
      auto r = nestrr::replay::explore(o);
      bool found = !r.findings.empty();
      censored += !found;
      samples.push_back({found ? r.findings[0].schedule : r.schedules,
                         std::chrono::duration<double>(r.elapsed).count(), found});
    }
  }
  // Median over the seeds asked for; the unrun ones count as censored.
  const uint64_t asked = strategy == ExploreStrategy::kBounded ? 1 : kSeeds;
  std::vector<Sample> all = samples;
  while (all.size() < asked) all.push_back({UINT64_MAX, 1e300, false});
  auto key = [](const Sample& s) { return s.found ? static_cast<double>(s.schedules) : 1e300; };
  std::sort(all.begin(), all.end(), [&](const Sample& a, const Sample& b) { return key(a) < key(b); });
  const Sample& mid = all[(all.size() - 1) / 2];
  uint64_t found = 0, censored_min = UINT64_MAX;
  double max_found_seconds = 0;
  for (const auto& s : samples) {
    found += s.found;
    if (!s.found) censored_min = std::min(censored_min, s.schedules);
    if (s.found) max_found_seconds = std::max(max_found_seconds, s.seconds);
  }
  std::vector<double> secs;
  for (const auto& s : all) secs.push_back(s.found ? s.seconds : 1e300);
  std::sort(secs.begin(), secs.end());
  state.counters["median_schedules"] =
      static_cast<double>(mid.found ? mid.schedules : censored_min);
  state.counters["median_seconds"] = mid.found ? secs[(secs.size() - 1) / 2] : -1;
  state.counters["censored_median"] = mid.found ? 0 : 1;
  state.counters["found"] = static_cast<double>(found);
  state.counters["seeds"] = static_cast<double>(asked);
  state.counters["seeds_run"] = static_cast<double>(samples.size());
  state.counters["max_found_seconds"] = max_found_seconds;
}

void fixed_sweep(benchmark::State& state, uint32_t cpus, bool mixed, ExploreStrategy strategy) {
  ExploreOptions o;
  o.scenario = nestrr::replay::explore_scenario(CORE_VARIANT_FIXED, cpus, CORE_WORKLOAD_PAL, 1);
  if (mixed) {  // guest NMIs, PALs and remaps together
    const core_workload_kind others[] = {CORE_WORKLOAD_NMI, CORE_WORKLOAD_PAL, CORE_WORKLOAD_REMAP};
    for (uint32_t i = 1; i < cpus; ++i) o.scenario.workload[i] = others[(i - 1) % 3];
  }
  o.strategy = strategy;
  o.schedules = kFixedSchedules;
  o.all = true;
  o.minimize = false;
  o.bound = 1;
  o.seed = 1;
  uint64_t schedules = 0, findings = 0, deadlocks = 0;
  bool exhausted = false;
  for (auto _ : state) {
    for (o.bound = 1;; ++o.bound) {
      auto r = nestrr::replay::explore(o);
      schedules = r.schedules;
      findings = r.findings.size();
      deadlocks = 0;
      for (const auto& f : r.findings)
        deadlocks += f.kind == nestrr::replay::ExploreFinding::Kind::kDeadlock;
      exhausted = r.exhausted;
      if (strategy != ExploreStrategy::kBounded || !exhausted || o.bound == 3) break;
    }
  }
  state.counters["schedules"] = static_cast<double>(schedules);
  state.counters["findings"] = static_cast<double>(findings);
  state.counters["deadlocks"] = static_cast<double>(deadlocks);
  state.counters["exhausted"] = exhausted ? 1 : 0;
  if (strategy == ExploreStrategy::kBounded) state.counters["bound"] = o.bound;
}

const ExploreStrategy kStrategies[] = {ExploreStrategy::kRandom, ExploreStrategy::kPct,
                                       ExploreStrategy::kBounded, ExploreStrategy::kLanding};

void register_all() {
  for (core_variant v : {CORE_VARIANT_VMXON_TWO_FLAGS, CORE_VARIANT_EPT01_FLUSH_INCOMPLETE,
                         CORE_VARIANT_NMI_INJECT_UNCHECKED, CORE_VARIANT_NMI_VMCS_OVERWRITE})
    for (uint32_t cpus : {2u, 4u, 8u})
      for (uint64_t it : {1u, 4u, 16u})
        for (ExploreStrategy s : kStrategies) {
          std::string name = std::string("Search/") + core_variant_name(v) + "/cpus:" +
                             std::to_string(cpus) + "/iter:" + std::to_string(it) + "/" +
                             nestrr::replay::strategy_name(s);
          benchmark::RegisterBenchmark(name.c_str(), search, v, cpus, it, s)
              ->Iterations(1)
              ->Unit(benchmark::kSecond);
        }
  for (uint32_t cpus : {2u, 3u, 4u, 6u, 8u})
    for (bool mixed : {false, true})
      for (ExploreStrategy s : kStrategies) {
        std::string name = "Fixed/cpus:" + std::to_string(cpus) + (mixed ? "/mixed/" : "/pal/") +
                           nestrr::replay::strategy_name(s);
        benchmark::RegisterBenchmark(name.c_str(), fixed_sweep, cpus, mixed, s)
            ->Iterations(1)
            ->Unit(benchmark::kSecond);
      }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
