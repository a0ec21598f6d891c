// Replay speed: a recorded run of the core (fixed variant, L1 + PAL CPUs)
// re-executed on fibers under its interleaving, every record checked, in
// events per second; against reading and merging the same log, same run.
#include <benchmark/benchmark.h>

#include <sstream>
#include <stdexcept>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/replay/recorder.h"
#include "nestrr/replay/replayer.h"

namespace {

const std::string& recorded_log() {
  static const std::string bytes = [] {
    nestrr::replay::RecordOptions opts;
    opts.scenario = nestrr::replay::default_scenario(CORE_VARIANT_FIXED, 2, 200);
    opts.time_limit = std::chrono::seconds(30);
    std::ostringstream out;
    auto r = nestrr::replay::record(opts, out);
    if (r.end != nestrr::replay::RecordResult::End::kCompleted)
      throw std::runtime_error("replay_bench: the recording did not complete");
    return out.str();
  }();
  return bytes;
}

nestrr::eventlog::Log read() {
  std::istringstream in(recorded_log());
  return nestrr::eventlog::read_log(in);
}

// Baseline: decoding and merging the log.
void BM_ReadAndMerge(benchmark::State& state) {
  recorded_log();  // record outside the timed loop
  uint64_t events = 0;
  for (auto _ : state) {
    auto log = read();
    auto t = nestrr::eventlog::merge(log);
    events += t.order.size();
    benchmark::DoNotOptimize(t);
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

// Deterministic re-execution of the same log, checking every record.
void BM_Replay(benchmark::State& state) {
  const auto log = read();
  uint64_t events = 0;
  uint32_t attempts = 0;
  nestrr::replay::ReplayOptions opts;
  opts.symbolize = false;
  for (auto _ : state) {
    auto r = nestrr::replay::replay(log, opts);
    if (r.divergence) {
      state.SkipWithError("replay diverged");
      return;
    }
    events += r.events_checked;
    attempts = r.attempts;
  }
  // Re-executions replay needed to place the NMIs (1: first try).
  state.counters["re-executions"] = static_cast<double>(attempts);
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["events"] = static_cast<double>(log.event_count());
}

// Recording overhead of the logger inside the core: workload iterations per
// second on host threads (fixed variant, L1 + PAL CPUs, NMIs as signals)
// with every event logged (arg 1) and with event logging off (arg 0).
void BM_RecordIterations(benchmark::State& state) {
  const bool log = state.range(0) != 0;
  uint64_t iterations = 0;
  for (auto _ : state) {
    nestrr::replay::RecordOptions opts;
    opts.scenario = nestrr::replay::default_scenario(CORE_VARIANT_FIXED, 2, 0);
    opts.time_limit = std::chrono::milliseconds(300);
    opts.log_events = log;
    std::ostringstream out;
    auto r = nestrr::replay::record(opts, out);
    for (uint64_t n : r.final.iterations) iterations += n;
  }
  state.counters["iterations/s"] =
      benchmark::Counter(static_cast<double>(iterations), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_RecordIterations)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();
BENCHMARK(BM_ReadAndMerge)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_Replay)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
