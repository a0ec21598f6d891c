// The same VM-exit fields through an LTTng-UST tracepoint, against the bare
// rdtsc-plus-store loop and the nestrr logger (flight-recorder mode, and
// stream mode flushed every 64 records into a byte-counting sink) in the
// same run. Meaningful only with an active session that enables
// nestrr_bench:vm_exit (bench/lttng/run_session does that); the
// `enabled` counter says whether the tracepoint was live.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "nestrr/logger.h"
#include "nestrr_tp.h"
#include "workload.h"

namespace {

using nestrr::bench::Ev;
constexpr size_t kInputs = 4096;
constexpr uint32_t kRingBytes = 64 * 1024;

const std::vector<Ev>& inputs() {
  static const std::vector<Ev> v = [] {
    nestrr::bench::Workload w(42);
    std::vector<Ev> out;
    for (size_t i = 0; i < kInputs; ++i) out.push_back(w.exit(0));
    return out;
  }();
  return v;
}

struct BareRecord {
  uint64_t tsc;
  uint32_t reason, from_l2;
  uint64_t qual, rip;
};
alignas(64) std::array<BareRecord, kRingBytes / sizeof(BareRecord)> bare_ring;

void BM_BareLoop(benchmark::State& state) {
  const auto& in = inputs();
  size_t i = 0;
  for (auto _ : state) {
    const Ev& e = in[i % kInputs];
    BareRecord& r = bare_ring[i % bare_ring.size()];
    r.tsc = __rdtsc();
    r.reason = e.reason;
    r.from_l2 = e.from_l2;
    r.qual = e.qual;
    r.rip = e.rip;
    benchmark::ClobberMemory();
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_LogFlight(benchmark::State& state) {
  const auto& in = inputs();
  static nestrr::bench::BufferLogger bl(1, kRingBytes, NESTRR_MODE_FLIGHT, false);
  size_t i = 0;
  for (auto _ : state) {
    const Ev& e = in[i % kInputs];
    benchmark::DoNotOptimize(nestrr_log_vm_exit(&bl.lg, 0, e.reason, e.qual, e.rip, e.from_l2));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

// As logger_bench's BM_LogStream64: drain, encoding and framing amortized
// over the calls; the sink only counts bytes.
void BM_LogStream64(benchmark::State& state) {
  const auto& in = inputs();
  static uint64_t sink_bytes = 0;
  static std::unique_ptr<uint64_t[]> mem(
      new uint64_t[NESTRR_LOGGER_MEMORY_BYTES(1, kRingBytes) / 8 + 1]);
  static nestrr_logger lg;
  static const bool ready = [] {
    nestrr_config cfg{};
    cfg.cpu_count = 1;
    cfg.ring_bytes = kRingBytes;
    cfg.mode = NESTRR_MODE_STREAM;
    cfg.memory = mem.get();
    cfg.memory_bytes = NESTRR_LOGGER_MEMORY_BYTES(1, kRingBytes);
    cfg.write = [](void*, const char*, unsigned long n) { sink_bytes += n; };
    cfg.tsc_hz = nestrr::bench::kTscHz;
    return nestrr_logger_init(&lg, &cfg);
  }();
  if (!ready) {
    state.SkipWithError("nestrr_logger_init failed");
    return;
  }
  const uint32_t before = nestrr_logger_dropped(&lg, 0);
  size_t i = 0;
  for (auto _ : state) {
    const Ev& e = in[i % kInputs];
    benchmark::DoNotOptimize(nestrr_log_vm_exit(&lg, 0, e.reason, e.qual, e.rip, e.from_l2));
    if ((++i & 63) == 0) nestrr_logger_flush(&lg, 0);
  }
  nestrr_logger_flush(&lg, 0);
  state.SetItemsProcessed(state.iterations());
  state.counters["dropped"] = double(nestrr_logger_dropped(&lg, 0) - before);
}

void BM_LttngTracepoint(benchmark::State& state) {
  const auto& in = inputs();
  size_t i = 0;
  for (auto _ : state) {
    const Ev& e = in[i % kInputs];
    lttng_ust_tracepoint(nestrr_bench, vm_exit, 0, e.reason, e.qual, e.rip, e.from_l2);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["enabled"] = lttng_ust_tracepoint_enabled(nestrr_bench, vm_exit) ? 1 : 0;
}

BENCHMARK(BM_BareLoop);
BENCHMARK(BM_LogFlight);
BENCHMARK(BM_LogStream64);
BENCHMARK(BM_LttngTracepoint);

}  // namespace

BENCHMARK_MAIN();
