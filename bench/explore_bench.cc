// Exploration of the core's schedules (replay/include/nestrr/replay/explore.h).
// Rows:
//   BM_Explore/<strategy>/<check>   schedules per second on the fixed variant
//                                   (nothing to find), with and without the
//                                   state checker over every run's log
//   BM_ToRace/<strategy>/<depth>    schedules until the VMXON race on
//                                   (landing: depth unused)
//                                   vmxon-two-flags, from scratch, averaged
//                                   over seeds 1..kSeeds (counter
//                                   schedules_to_race; the time is the total)
// The strategies run in the same process, so their counters compare
// directly: ratio = random's schedules_to_race / the strategy's.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "nestrr/replay/explore.h"

namespace {

using nestrr::replay::ExploreOptions;
using nestrr::replay::ExploreStrategy;

constexpr uint64_t kSeeds = 20;
constexpr uint64_t kLimit = 20'000;  // a search that misses counts this many

ExploreOptions options(core_variant v, ExploreStrategy s) {
  ExploreOptions o;
  o.scenario = nestrr::replay::explore_scenario(v, 2, CORE_WORKLOAD_PAL, 1);
  o.strategy = s;
  return o;
}

void BM_Explore(benchmark::State& state) {
  ExploreOptions o = options(CORE_VARIANT_FIXED, static_cast<ExploreStrategy>(state.range(0)));
  o.check = state.range(1) != 0;
  o.schedules = 200;
  o.bound = 1;
  uint64_t schedules = 0, steps = 0;
  for (auto _ : state) {
    auto r = nestrr::replay::explore(o);
    schedules += r.schedules;
    steps += r.steps;
    o.seed++;
  }
  state.counters["schedules_per_s"] =
      benchmark::Counter(static_cast<double>(schedules), benchmark::Counter::kIsRate);
  state.counters["steps_per_schedule"] = static_cast<double>(steps) / static_cast<double>(schedules);
}
BENCHMARK(BM_Explore)
    ->ArgNames({"strategy", "check"})
    ->Args({static_cast<int>(ExploreStrategy::kPct), 1})
    ->Args({static_cast<int>(ExploreStrategy::kPct), 0})
    ->Args({static_cast<int>(ExploreStrategy::kBounded), 1})
    ->Args({static_cast<int>(ExploreStrategy::kRandom), 1})
    ->Args({static_cast<int>(ExploreStrategy::kLanding), 1})
    ->Unit(benchmark::kMillisecond);

void BM_ToRace(benchmark::State& state) {
  ExploreOptions o = options(CORE_VARIANT_VMXON_TWO_FLAGS, static_cast<ExploreStrategy>(state.range(0)));
  o.depth = static_cast<uint32_t>(state.range(1));
  o.bound = static_cast<uint32_t>(state.range(1));
  o.check = false;
  o.minimize = false;
  o.schedules = kLimit;
  uint64_t total = 0, runs = 0, missed = 0;
  for (auto _ : state) {
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      o.seed = seed;
      auto r = nestrr::replay::explore(o);
      total += r.schedules;
      missed += r.findings.empty() ? 1 : 0;
      runs++;
      if (o.strategy == ExploreStrategy::kBounded) break;  // no seed: one search
    }
  }
  state.counters["schedules_to_race"] = static_cast<double>(total) / static_cast<double>(runs);
  state.counters["missed"] = static_cast<double>(missed);
}
BENCHMARK(BM_ToRace)
    ->ArgNames({"strategy", "depth"})
    ->Args({static_cast<int>(ExploreStrategy::kRandom), 0})
    ->Args({static_cast<int>(ExploreStrategy::kPct), 2})
    ->Args({static_cast<int>(ExploreStrategy::kPct), 3})
    ->Args({static_cast<int>(ExploreStrategy::kBounded), 1})
    ->Args({static_cast<int>(ExploreStrategy::kLanding), 0})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
