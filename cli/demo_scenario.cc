// The demo's two-CPU scenario (see demo_scenario.h). The NMI is a flag CPU 0
// polls between its VM exits; the quiesce hand-off is real shared memory.
#include "demo_scenario.h"

#include <x86intrin.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "nestrr/logger.h"

namespace nestrr::cli {
namespace {

// Basic exit reasons, Intel SDM Vol. 3 Appendix C.
enum : uint32_t {
  kExitCpuid = 10, kExitVmcall = 18, kExitVmclear = 19, kExitVmlaunch = 20,
  kExitVmptrld = 21, kExitVmwrite = 25, kExitVmxon = 27, kExitIo = 30,
  kExitEptViolation = 48,
};

constexpr uint32_t kCpus = 2;
constexpr uint32_t kRingBytes = 64 * 1024;

struct Console {
  std::mutex lock;
  std::string bytes;
  void write(std::string_view s) {
    std::lock_guard<std::mutex> g(lock);
    bytes.append(s);
  }
};

void sink(void* ctx, const char* bytes, unsigned long n) {
  static_cast<Console*>(ctx)->write(std::string_view(bytes, n));
}

// What CPU 1 leaves for CPU 0 before "sending" the NMI.
struct Quiesce {
  std::atomic<uint64_t> nmi_token{0};  // 0: no NMI pending
  std::atomic<uint64_t> generation{0};
  std::atomic<uint64_t> acked{0};      // generation CPU 0 acknowledged
  std::atomic<uint64_t> released{0};   // generation CPU 1 released
  std::atomic<bool> cpu1_done{false};
};

void cpu0(nestrr_logger* lg, Console* con, Quiesce* q, uint32_t l2_exits) {
  const uint32_t cpu = 0;
  con->write("CPU0: L1 executes VMXON\n");
  nestrr_log_vm_exit(lg, cpu, kExitVmxon, 0, 0xfffff80012345670ull, false);
  nestrr_log_vmx_mode(lg, cpu, NESTRR_VMX_MODE_DISABLED, NESTRR_VMX_MODE_ROOT);
  nestrr_log_vm_exit(lg, cpu, kExitVmclear, 0, 0xfffff80012345690ull, false);
  nestrr_log_vmcs12_clear(lg, cpu, 0x7f00000);
  nestrr_log_vm_exit(lg, cpu, kExitVmptrld, 0, 0xfffff800123456a0ull, false);
  nestrr_log_vmcs12_load(lg, cpu, 0x7f00000);
  for (uint64_t field : {0x2000ull, 0x2002ull, 0x2004ull, 0x201aull}) {
    nestrr_log_vm_exit(lg, cpu, kExitVmwrite, field, 0xfffff800123456b0ull, false);
  }
  nestrr_log_vm_exit(lg, cpu, kExitVmlaunch, 0, 0xfffff800123456c0ull, false);
  nestrr_log_vmx_mode(lg, cpu, NESTRR_VMX_MODE_ROOT, NESTRR_VMX_MODE_NON_ROOT);
  nestrr_log_vm_entry(lg, cpu, true, true);
  nestrr_logger_flush(lg, cpu);

  uint64_t rip = 0xfff0;
  uint64_t progress = 0;
  for (uint32_t i = 0; i < l2_exits || !q->cpu1_done.load(); i++) {
    progress++;
    uint64_t token = q->nmi_token.exchange(0);
    if (token != 0) {
      // The NMI handler: acknowledge the quiesce, flush, wait for release.
      uint64_t gen = q->generation.load();
      nestrr_log_nmi_received(lg, cpu, 1, token, rip, progress);
      nestrr_log_quiesce_ack(lg, cpu, 1, gen);
      q->acked.store(gen);
      while (q->released.load() < gen) std::this_thread::yield();
      nestrr_log_ept_flush(lg, cpu, NESTRR_EPT_FLUSH_FLAG_EPT02 | NESTRR_EPT_FLUSH_FLAG_VMCS02_GPA,
                           NESTRR_EPT_FLUSH_ORIGIN_QUIESCE_NMI);
      nestrr_log_ept01_rewalk(lg, cpu, 9, 1);
    }
    static const uint32_t reasons[] = {kExitCpuid, kExitEptViolation, kExitIo, kExitCpuid};
    uint32_t reason = reasons[i % 4];
    nestrr_log_vm_exit(lg, cpu, reason, reason == kExitIo ? 0x3f8 : 0, rip, true);
    nestrr_log_vm_entry(lg, cpu, true, false);
    rip += (i % 3 == 0) ? 2 : 5;
    if (i % 8 == 7) nestrr_logger_flush(lg, cpu);
    if (i >= l2_exits) std::this_thread::yield();
  }
  nestrr_logger_flush(lg, cpu);
}

void cpu1(nestrr_logger* lg, Console* con, Quiesce* q, uint32_t pals) {
  const uint32_t cpu = 1;
  for (uint32_t pal = 1; pal <= pals; pal++) {
    nestrr_log_vm_exit(lg, cpu, kExitVmcall, 0, 0x401000 + pal * 0x10, false);
    uint64_t gen = q->generation.load() + 1;
    con->write(fmt::format("CPU1: TrustVisor: registering PAL {} (quiesce {})\n", pal, gen));
    nestrr_log_pal_register(lg, cpu, pal, 0x40000000ull + pal * 0x10000, 0x4000);
    nestrr_log_quiesce_begin(lg, cpu, gen);
    q->generation.store(gen);
    nestrr_log_nmi_sent(lg, cpu, 0, gen);
    q->nmi_token.store(gen);
    while (q->acked.load() < gen) std::this_thread::yield();
    nestrr_log_ept_flush(lg, cpu, NESTRR_EPT_FLUSH_FLAG_EPT02 | NESTRR_EPT_FLUSH_FLAG_LOCAL_TLB,
                         NESTRR_EPT_FLUSH_ORIGIN_LOCAL);
    nestrr_log_quiesce_end(lg, cpu, gen);
    q->released.store(gen);
    nestrr_logger_flush(lg, cpu);
    for (int k = 0; k < 6; k++) {
      nestrr_log_vm_exit(lg, cpu, kExitCpuid, 0, 0x401100 + k * 2, false);
    }
    nestrr_logger_flush(lg, cpu);
  }
  q->cpu1_done.store(true);
}

// TSC ticks per second, measured against the steady clock over 20 ms.
uint64_t measure_tsc_hz() {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  uint64_t c0 = __rdtsc();
  while (clock::now() - t0 < std::chrono::milliseconds(20)) {
  }
  uint64_t c1 = __rdtsc();
  double s = std::chrono::duration<double>(clock::now() - t0).count();
  return static_cast<uint64_t>(static_cast<double>(c1 - c0) / s);
}

}  // namespace

ScenarioResult run_quiesce_scenario(uint32_t l2_exits, uint32_t pals) {
  Console con;
  std::vector<unsigned char> memory(NESTRR_LOGGER_MEMORY_BYTES(kCpus, kRingBytes) + 64);
  nestrr_logger lg{};
  nestrr_config cfg{};
  cfg.cpu_count = kCpus;
  cfg.ring_bytes = kRingBytes;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = memory.data();
  cfg.memory_bytes = memory.size();
  cfg.write = sink;
  cfg.write_ctx = &con;
  cfg.tsc_hz = measure_tsc_hz();
  cfg.description = "nestrr demo: two CPUs, PAL registration quiesces CPU 0 running L2";
  if (!nestrr_logger_init(&lg, &cfg)) throw std::runtime_error("demo: logger init failed");

  Quiesce q;
  con.write("XMHF: nestrr demo boot, 2 CPUs\n");
  std::thread t0(cpu0, &lg, &con, &q, l2_exits);
  std::thread t1(cpu1, &lg, &con, &q, pals);
  t0.join();
  t1.join();
  nestrr_logger_finish(&lg);

  ScenarioResult r;
  for (uint32_t c = 0; c < kCpus; c++) r.dropped += nestrr_logger_dropped(&lg, c);
  r.stream = std::move(con.bytes);
  return r;
}

}  // namespace nestrr::cli
