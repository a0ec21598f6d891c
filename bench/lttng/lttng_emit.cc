// Emits N VM-exit events through the LTTng-UST tracepoint of nestrr_tp.h,
// the same fields and workload as the logger benchmarks, so that
// bench/lttng/decode_baseline can time babeltrace2 reading a trace of the
// same event count our decoder reads.
//   lttng_emit N
#include <cstdio>
#include <cstdlib>

#include "nestrr_tp.h"
#include "workload.h"

int main(int argc, char** argv) {
  char* end = nullptr;
  const unsigned long long n = argc == 2 ? std::strtoull(argv[1], &end, 10) : 0;
  if (argc != 2 || !end || *end || n == 0) {
    std::fprintf(stderr, "usage: lttng_emit EVENTS (a positive count)\n");
    return 2;
  }
  if (!lttng_ust_tracepoint_enabled(nestrr_bench, vm_exit)) {
    std::fprintf(stderr, "lttng_emit: nestrr_bench:vm_exit is not enabled in any session\n");
    return 1;
  }
  constexpr uint32_t kCpus = 8;
  nestrr::bench::Workload w(42, kCpus);
  for (unsigned long long i = 0; i < n; ++i) {
    const uint32_t cpu = static_cast<uint32_t>(i % kCpus);
    const nestrr::bench::Ev e = w.exit(cpu);
    lttng_ust_tracepoint(nestrr_bench, vm_exit, cpu, e.reason, e.qual, e.rip, e.from_l2);
  }
  return 0;
}
