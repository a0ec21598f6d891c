// The testbox under QEMU (TCG): what the logger costs there and how long the
// VMXON race takes to show up, each next to a baseline from the same run.
//  - Logger cost in TSC cycles per record: the same code
//    (hypervisor/testbox/src/logger_cost.c) on the host and inside the
//    image (bench=logger-cost), each against a bare rdtsc-plus-store loop
//    run right before it on the same CPU.
//  - Time to the first hit of the `vmxon-two-flags` race: wall time from
//    starting QEMU to its exit on the assertion, one run per repetition
//    (the median is the aggregate to read), with the widening knob
//    (widen=vmxon:20000) and without it. A run that reaches the timeout
//    counts as the timeout (30 s) and is reported as a miss.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "logger_cost.h"
#include "nestrr/testbox/run.h"

namespace {

namespace tb = nestrr::testbox;
namespace fs = std::filesystem;

constexpr double kBlock = LOGGER_COST_BLOCK;

void set_cost_counters(benchmark::State& state, const logger_cost& c) {
  state.counters["bare_cycles"] = double(c.bare) / kBlock;
  state.counters["flight_cycles"] = double(c.flight) / kBlock;
  state.counters["stream_cycles"] = double(c.stream) / kBlock;
  state.counters["stream_dropped"] = double(c.stream_dropped);
}

void BM_LoggerCostHost(benchmark::State& state) {
  std::vector<uint64_t> memory(LOGGER_COST_MEMORY_BYTES / 8);
  logger_cost c{};
  for (auto _ : state) {
    if (!logger_cost_measure(memory.data(), LOGGER_COST_MEMORY_BYTES, 0, &c)) {
      state.SkipWithError("a logger refused its configuration");
      return;
    }
  }
  set_cost_counters(state, c);
}
BENCHMARK(BM_LoggerCostHost)->Iterations(1)->Repetitions(3)->Unit(benchmark::kMillisecond);

fs::path scratch(const std::string& name) {
  fs::path d = fs::temp_directory_path() / "nestrr_testbox_bench";
  fs::create_directories(d);
  return d / name;
}

tb::TestboxOptions base_options() {
  tb::TestboxOptions o;
  o.image = NESTRR_TESTBOX_DEFAULT_IMAGE;
  return o;
}

void BM_LoggerCostTestbox(benchmark::State& state) {
  tb::TestboxOptions o = base_options();
  o.cpus = 1;
  o.extra_append = {"bench=logger-cost"};
  o.timeout = std::chrono::seconds(120);
  static const std::regex line(R"(bare (\d+) flight (\d+) stream (\d+) \(stream bytes (\d+), dropped (\d+)\))");
  logger_cost c{};
  for (auto _ : state) {
    tb::TestboxResult r = tb::run_testbox(o, scratch("cost.nrr"));
    bool found = false;
    for (const auto& e : r.log.console) {
      std::smatch m;
      const std::string& text = e.record.console_text().text();
      if (!std::regex_search(text, m, line)) continue;
      c.bare = std::stoull(m[1]);
      c.flight = std::stoull(m[2]);
      c.stream = std::stoull(m[3]);
      c.stream_bytes = std::stoull(m[4]);
      c.stream_dropped = std::stoull(m[5]);
      found = true;
    }
    if (r.end != tb::TestboxResult::End::kCompleted || !found) {
      state.SkipWithError(("the image did not report its logger cost: " + std::string(tb::end_name(r.end)) +
                           " " + r.qemu_stderr).c_str());
      return;
    }
  }
  set_cost_counters(state, c);
}
BENCHMARK(BM_LoggerCostTestbox)->Iterations(1)->Repetitions(3)->Unit(benchmark::kMillisecond);

// arg 0: widening (0 off, 1 on).
void BM_TimeToFirstHit(benchmark::State& state) {
  static uint64_t run = 0;
  tb::TestboxOptions o = base_options();
  o.variant = "vmxon-two-flags";
  o.cpus = 2;
  o.seed = ++run;
  if (state.range(0)) o.widen = {"vmxon:20000"};
  o.paced = false;  // the race's own timing, not the UART's
  o.timeout = std::chrono::seconds(30);
  double hit = 0, log_seconds = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    tb::TestboxResult r = tb::run_testbox(o, scratch("race.nrr"));
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r.end == tb::TestboxResult::End::kPanic || r.end == tb::TestboxResult::End::kQemuFailed ||
        r.end == tb::TestboxResult::End::kCompleted) {
      state.SkipWithError(("unexpected end: " + std::string(tb::end_name(r.end)) + " " + r.qemu_stderr).c_str());
      return;
    }
    hit = r.end == tb::TestboxResult::End::kAssertion;
    // The guest's own view: TSC from the first record to the assertion.
    uint64_t first = UINT64_MAX, failed = 0;
    for (const auto& s : r.log.streams)
      for (const auto& e : s.events) {
        first = std::min(first, e.tsc);
        if (e.record.has_assertion_failure()) failed = e.tsc;
      }
    double hz = r.log.header && r.log.header->tsc_hz() ? double(r.log.header->tsc_hz()) : 0;
    log_seconds = hit && hz && failed > first ? double(failed - first) / hz : 0;
    state.SetIterationTime(wall);
  }
  state.counters["hit"] = hit;
  state.counters["log_seconds"] = log_seconds;
}
BENCHMARK(BM_TimeToFirstHit)
    ->ArgName("widen")
    ->Arg(1)
    ->Arg(0)
    ->Iterations(1)
    ->Repetitions(7)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
