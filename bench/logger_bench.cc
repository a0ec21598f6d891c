// Cost of one nestrr_log_vm_exit call against a bare rdtsc-plus-store loop
// (the cheapest possible logger: rdtsc and the same fields stored into a
// plain array ring), in the same run. Rows:
//   BM_BareLoop         rdtsc + store of {tsc, reason, from_l2, qual, rip}
//   BM_LogFlight        logger in flight-recorder mode (overwrite, no drain)
//   BM_LogStream64      logger in stream mode, flushed every 64 records into
//                       a sink that only counts bytes (drain + protobuf
//                       encoding + framing amortized over the calls)
// The /threads:2 variants run one ring (one logical CPU) per thread.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "nestrr/logger.h"
#include "workload.h"

namespace {

using nestrr::bench::Ev;

constexpr size_t kInputs = 4096;  // pre-generated exits, cycled
constexpr uint32_t kRingBytes = 64 * 1024;
constexpr int kMaxThreads = 2;

const std::vector<Ev>& inputs() {
  static const std::vector<Ev> v = [] {
    nestrr::bench::Workload w(42);
    std::vector<Ev> out;
    for (size_t i = 0; i < kInputs; ++i) out.push_back(w.exit(0));
    return out;
  }();
  return v;
}

// The bare loop's ring: same fields as the logger's slot, no header.
struct BareRecord {
  uint64_t tsc;
  uint32_t reason;
  uint32_t from_l2;
  uint64_t qual;
  uint64_t rip;
};
constexpr size_t kBareRecords = kRingBytes / sizeof(BareRecord);
struct alignas(64) BareRing {
  std::array<BareRecord, kBareRecords> rec;
};
BareRing bare_rings[kMaxThreads];

void BM_BareLoop(benchmark::State& state) {
  const auto& in = inputs();
  BareRing& ring = bare_rings[state.thread_index()];
  size_t i = 0;
  for (auto _ : state) {
    const Ev& e = in[i % kInputs];
    BareRecord& r = ring.rec[i % kBareRecords];
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

// One logger shared by the threads of a benchmark (one CPU each), set up by
// thread 0 and published through an atomic.
struct CountingSink {
  std::atomic<uint64_t> bytes{0};
  static void write(void* ctx, const char*, unsigned long n) {
    static_cast<CountingSink*>(ctx)->bytes.fetch_add(n, std::memory_order_relaxed);
  }
};

struct SharedLogger {
  std::unique_ptr<uint64_t[]> mem;
  nestrr_logger lg{};
  CountingSink sink;
  SharedLogger(nestrr_ring_mode mode) {
    unsigned long bytes = NESTRR_LOGGER_MEMORY_BYTES(kMaxThreads, kRingBytes);
    mem.reset(new uint64_t[bytes / 8 + 1]);
    nestrr_config cfg{};
    cfg.cpu_count = kMaxThreads;
    cfg.ring_bytes = kRingBytes;
    cfg.mode = mode;
    cfg.memory = mem.get();
    cfg.memory_bytes = bytes;
    cfg.write = &CountingSink::write;
    cfg.write_ctx = &sink;
    cfg.tsc_hz = nestrr::bench::kTscHz;
    if (!nestrr_logger_init(&lg, &cfg)) abort();
  }
};

SharedLogger& flight_logger() {
  static SharedLogger l(NESTRR_MODE_FLIGHT);
  return l;
}
SharedLogger& stream_logger() {
  static SharedLogger l(NESTRR_MODE_STREAM);
  return l;
}

void BM_LogFlight(benchmark::State& state) {
  const auto& in = inputs();
  nestrr_logger* lg = &flight_logger().lg;
  const uint32_t cpu = uint32_t(state.thread_index());
  size_t i = 0;
  for (auto _ : state) {
    const Ev& e = in[i % kInputs];
    benchmark::DoNotOptimize(nestrr_log_vm_exit(lg, cpu, e.reason, e.qual, e.rip, e.from_l2));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_LogStream64(benchmark::State& state) {
  const auto& in = inputs();
  SharedLogger& sl = stream_logger();
  nestrr_logger* lg = &sl.lg;
  const uint32_t cpu = uint32_t(state.thread_index());
  const uint32_t before = nestrr_logger_dropped(lg, cpu);
  size_t i = 0;
  for (auto _ : state) {
    const Ev& e = in[i % kInputs];
    benchmark::DoNotOptimize(nestrr_log_vm_exit(lg, cpu, e.reason, e.qual, e.rip, e.from_l2));
    if ((++i & 63) == 0) nestrr_logger_flush(lg, cpu);
  }
  nestrr_logger_flush(lg, cpu);
  state.SetItemsProcessed(state.iterations());
  // A drop would mean the row measured the drop path, not logging.
  state.counters["dropped"] = double(nestrr_logger_dropped(lg, cpu) - before);
}

BENCHMARK(BM_BareLoop);
BENCHMARK(BM_LogFlight);
BENCHMARK(BM_LogStream64);
BENCHMARK(BM_BareLoop)->Threads(2)->UseRealTime();
BENCHMARK(BM_LogFlight)->Threads(2)->UseRealTime();
BENCHMARK(BM_LogStream64)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
