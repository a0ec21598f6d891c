// The recorder: host threads as CPUs, real-time signals as NMIs, the
// logger drained by the calling thread. See recorder.h.
#include "nestrr/replay/recorder.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <ucontext.h>
#include <x86intrin.h>

#include <atomic>
#include <random>
#include <setjmp.h>
#include <stdexcept>
#include <thread>

#include "nestrr/replay/core_host.h"
#include "nestrr/replay/host_memory.h"
#include "nestrr/replay/log_forward.h"
#include "nestrr/replay/stack_capture.h"
#include "scenario_header.h"

namespace nestrr::replay {
namespace {

// Time in units of 64 TSC ticks (25 ns at 2.5 GHz): about a byte a record
// less, and replay uses the time only to order its scheduling.
constexpr uint32_t kDtShift = 6;

struct RecorderCpu {
  uint32_t id = 0;
  pthread_t thread{};
  sigjmp_buf exit_jmp;
  StackBounds stack;
  // RIPs the latched NMIs interrupted, oldest first: the signal handler
  // pushes, the NMI record pops (same thread, so only ordering matters).
  static constexpr uint32_t kRips = 16;
  uint64_t nmi_rips[kRips] = {};
  std::atomic<uint32_t> rip_head{0}, rip_tail{0};
  std::atomic<bool> done{false};
  std::atomic<uint64_t> nmis{0};
  std::mt19937_64 rng;
  uint8_t stack_copy[NESTRR_ASSERT_STACK_MAX];
};

struct Recorder {
  core c{};
  core_platform plat{};
  nestrr_logger lg{};
  Widening widen;
  bool log_events = true;  // RecordOptions::log_events
  int signo = 0;
  RecorderCpu cpus[CORE_MAX_CPUS];
  std::atomic<bool> go{false}, stop{false};
  std::atomic<bool> asserted{false};
  RecordedAssertion assertion;  // written once, before `asserted` is set
  HostMemory* mem = nullptr;
  std::ostream* out = nullptr;
  std::atomic<uint64_t> bytes{0};
  uint32_t pace_room = 0;  // a CPU with less room than this waits for the drain

  // The platform (core_host.h wires core_platform to these).
  void* phys(uint64_t pa, uint64_t len) { return mem->at(pa, len); }
  void send_nmi(uint32_t from, uint32_t to);
  uint64_t tsc(uint32_t) { return __rdtsc(); }
  [[noreturn]] void halt(uint32_t cpu);
  void point(uint32_t cpu, uint32_t id);
  void wait_until(uint32_t cpu, uint32_t id, core_wait_pred pred, void* arg);
  void lock_acquired(uint32_t cpu, uint32_t lock);
  void event(uint32_t cpu, const core_event& ev);
  void assert_failed(uint32_t cpu, const char* cond, const char* file, uint32_t line);
};

std::atomic<Recorder*> g_active{nullptr};
__thread RecorderCpu* tls_cpu __attribute__((tls_model("initial-exec"))) = nullptr;

Recorder* self(void* ctx) { return static_cast<Recorder*>(ctx); }

void relax(uint32_t* spins) {
  _mm_pause();
  if ((++*spins & 63u) == 0) sched_yield();  // two cores may run three threads
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// ---- the platform ----

void Recorder::send_nmi(uint32_t, uint32_t to) { pthread_kill(cpus[to].thread, signo); }

[[noreturn]] void Recorder::halt(uint32_t cpu) {
  stop.store(true);
  siglongjmp(cpus[cpu].exit_jmp, 1);
}

// The recording stops this CPU for good at the entry of yield point `id`:
// the cut record says where, so replay stops it at the same place.
[[noreturn]] void cut(Recorder* r, uint32_t cpu, uint32_t id) {
  if (r->log_events)
    nestrr_log_sync_point(&r->lg, cpu, id, core_vcpu_progress(&r->c.vcpu[cpu]),
                          NESTRR_SYNC_POINT_KIND_CUT);
  siglongjmp(r->cpus[cpu].exit_jmp, 1);
}

bool stopping(const Recorder* r) { return r->stop.load(std::memory_order_relaxed); }

// A CPU is cut only where its log is complete: not inside an NMI handler
// that has not logged its NmiReceived yet (it does so after its first point).
bool cuttable(const Recorder* r, uint32_t cpu) {
  return !core_vcpu_nmi_unlogged(&r->c.vcpu[cpu]);
}

// Waits while this CPU's ring is more than half full, so nothing is dropped
// when the CPUs outrun the drain.
void pace(Recorder* r, uint32_t cpu, uint32_t id) {
  uint32_t spins = 0;
  while (nestrr_logger_room(&r->lg, cpu) < r->pace_room) {
    if (stopping(r) && cuttable(r, cpu)) cut(r, cpu, id);
    relax(&spins);
  }
}

void Recorder::point(uint32_t cpu, uint32_t id) {
  RecorderCpu& c = cpus[cpu];
  if (stopping(this) && cuttable(this, cpu)) cut(this, cpu, id);
  pace(this, cpu, id);
  if (id != widen.point || core_vcpu_in_nmi(&this->c.vcpu[cpu])) return;
  uint64_t ns = widen.nanoseconds / 2 + c.rng() % (widen.nanoseconds / 2 + 1);
  uint64_t end = now_ns() + ns;
  while (now_ns() < end && !stopping(this)) _mm_pause();
}

// Spins with NMIs taken between evaluations of the predicate; a stop cuts
// the CPU at the current count (after any NMI taken in this wait).
void Recorder::wait_until(uint32_t cpu, uint32_t id, core_wait_pred pred, void* arg) {
  uint32_t spins = 0;
  pace(this, cpu, id);
  for (;;) {
    if (stopping(this) && cuttable(this, cpu)) cut(this, cpu, id);
    core_nmi_poll(&c, cpu);
    if (pred(arg)) break;
    relax(&spins);
  }
  if (log_events) forward_wait_done(&lg, cpu, id, core_vcpu_progress(&this->c.vcpu[cpu]));
}

void Recorder::lock_acquired(uint32_t cpu, uint32_t lock) {
  if (log_events)
    forward_lock_acquired(&lg, cpu, lock, core_vcpu_progress(&this->c.vcpu[cpu]),
                          core_lock_ticket(&this->c, lock));
}

void Recorder::event(uint32_t cpu, const core_event& ev) {
  uint64_t rip = 0;
  if (ev.kind == CORE_EV_NMI_RECEIVED) {
    RecorderCpu& c = cpus[cpu];
    uint32_t tail = c.rip_tail.load(std::memory_order_relaxed);
    if (tail != c.rip_head.load(std::memory_order_acquire)) {
      rip = c.nmi_rips[tail % RecorderCpu::kRips];
      c.rip_tail.store(tail + 1, std::memory_order_relaxed);
    }
  }
  if (log_events) forward_event(&lg, cpu, ev, rip);
}

void Recorder::assert_failed(uint32_t cpu, const char* cond, const char* file, uint32_t line) {
  RecorderCpu& c = cpus[cpu];
  CapturedStack captured;
  capture_stack(c.stack, &captured, c.stack_copy, sizeof c.stack_copy);
  forward_assertion(&lg, cpu, cond, file, line, captured);
  static std::atomic<bool> claimed{false};
  bool expected = false;
  if (!asserted.load() && claimed.compare_exchange_strong(expected, true)) {
    assertion = {cpu, cond, file, line, core_vcpu_progress(&this->c.vcpu[cpu])};
    asserted.store(true);
    claimed.store(false);
  }
}

// The NMI arrives: note where, latch it for the core (taken at this
// thread's next yield point). Nothing else runs in signal context.
void on_nmi_signal(int, siginfo_t*, void* uc) {
  RecorderCpu* c = tls_cpu;
  Recorder* r = g_active.load(std::memory_order_relaxed);
  if (!c || !r) return;
  uint64_t rip = static_cast<uint64_t>(static_cast<ucontext_t*>(uc)->uc_mcontext.gregs[REG_RIP]);
  uint32_t head = c->rip_head.load(std::memory_order_relaxed);
  if (head - c->rip_tail.load(std::memory_order_relaxed) < RecorderCpu::kRips) {
    c->nmi_rips[head % RecorderCpu::kRips] = rip;
    c->rip_head.store(head + 1, std::memory_order_release);
  }
  c->nmis.fetch_add(1, std::memory_order_relaxed);
  core_nmi_latch(&r->c, c->id);
}

void block_signal(int signo, int how) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  pthread_sigmask(how, &set, nullptr);
}

void cpu_main(Recorder* r, uint32_t id) {
  RecorderCpu& c = r->cpus[id];
  tls_cpu = &c;
  c.stack = current_thread_stack();
  uint32_t spins = 0;
  while (!r->go.load()) relax(&spins);
  if (sigsetjmp(c.exit_jmp, 1) == 0) {  // saved mask: NMI blocked
    block_signal(r->signo, SIG_UNBLOCK);
    // A stop is noticed at the next yield point (a cut), not between
    // steps: the log then says where every CPU ended.
    while (core_workload_step(&r->c, id)) {
    }
    core_idle_enter(&r->c, id);
    c.done.store(true);
    while (!stopping(r)) {  // still answers NMIs
      core_nmi_poll(&r->c, id);
      relax(&spins);
    }
  }
  block_signal(r->signo, SIG_BLOCK);
  tls_cpu = nullptr;
}

void write_out(void* ctx, const char* bytes, unsigned long n) {
  Recorder* r = self(ctx);
  r->out->write(bytes, static_cast<std::streamsize>(n));
  r->bytes.fetch_add(n, std::memory_order_relaxed);
}

uint64_t estimate_tsc_hz() {
  uint64_t t0 = now_ns(), c0 = __rdtsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  uint64_t t1 = now_ns(), c1 = __rdtsc();
  return t1 > t0 ? (c1 - c0) * 1'000'000'000ull / (t1 - t0) : 0;
}

uint64_t iterations_of(const core_vcpu& v, uint32_t kind) {
  const uint32_t* it = kind == CORE_WORKLOAD_PAL ? &v.wl_pal.iter : &v.wl_l1.iter;
  return __atomic_load_n(it, __ATOMIC_RELAXED);
}

}  // namespace

const char* end_name(RecordResult::End end) {
  switch (end) {
    case RecordResult::End::kAssertion: return "assertion";
    case RecordResult::End::kCompleted: return "completed";
    case RecordResult::End::kTimeLimit: return "time limit";
    case RecordResult::End::kInterrupted: return "interrupted";
  }
  return "?";
}

RecordResult record(const RecordOptions& options, std::ostream& out) {
  Scenario sc = options.scenario;
  sc.origin = "record";
  check_options(sc);
  core_config cfg = to_core_config(sc);
  auto r = std::make_unique<Recorder>();
  Recorder* expected = nullptr;
  if (!g_active.compare_exchange_strong(expected, r.get()))
    throw std::logic_error("another recording runs in this process");
  struct Release {
    ~Release() { g_active.store(nullptr); }
  } release;

  r->widen = scenario_widening(sc);
  r->log_events = options.log_events;
  r->signo = SIGRTMIN;
  r->out = &out;
  HostMemory mem(cfg);
  r->mem = &mem;
  r->plat = platform_of(r.get());
  if (!core_init(&r->c, &cfg, &r->plat)) throw std::invalid_argument("core_init refused the scenario");

  ScenarioHeader header(sc);  // must outlive the logger
  std::string description = std::string("nestrr record ") + core_variant_name(sc.variant);
  std::vector<uint64_t> lg_mem(NESTRR_LOGGER_MEMORY_BYTES(cfg.cpu_count, options.ring_bytes) / 8 + 1);
  nestrr_config lc{};
  lc.cpu_count = cfg.cpu_count;
  lc.ring_bytes = options.ring_bytes;
  lc.mode = NESTRR_MODE_STREAM;
  lc.memory = lg_mem.data();
  lc.memory_bytes = lg_mem.size() * 8;
  lc.write = write_out;
  lc.write_ctx = r.get();
  lc.tsc_hz = estimate_tsc_hz();
  lc.dt_shift = kDtShift;
  lc.description = description.c_str();
  lc.scenario = header.get();
  if (!nestrr_logger_init(&r->lg, &lc)) throw std::invalid_argument("logger refused its config");
  r->pace_room = options.ring_bytes / 2;

  struct sigaction sa {}, old {};
  sa.sa_sigaction = on_nmi_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, r->signo);
  sigaction(r->signo, &sa, &old);
  sigset_t nmi_set, old_mask;
  sigemptyset(&nmi_set);
  sigaddset(&nmi_set, r->signo);
  pthread_sigmask(SIG_BLOCK, &nmi_set, &old_mask);  // threads inherit it: held until they run

  std::vector<std::thread> threads;
  for (uint32_t i = 0; i < cfg.cpu_count; ++i) {
    r->cpus[i].id = i;
    r->cpus[i].rng.seed(sc.seed * 0x9e3779b97f4a7c15ull + i);
    threads.emplace_back(cpu_main, r.get(), i);
    r->cpus[i].thread = threads.back().native_handle();
  }
  auto t0 = std::chrono::steady_clock::now();
  r->go.store(true);

  RecordResult result;
  auto snapshot = [&] {
    RecordProgress p;
    p.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    for (uint32_t i = 0; i < cfg.cpu_count; ++i) {
      p.iterations.push_back(iterations_of(r->c.vcpu[i], cfg.workload[i].kind));
      p.nmis += r->cpus[i].nmis.load(std::memory_order_relaxed);
    }
    p.bytes = r->bytes.load();
    return p;
  };
  auto next_progress = t0 + options.progress_interval;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    for (uint32_t i = 0; i < cfg.cpu_count; ++i) nestrr_logger_flush(&r->lg, i);
    auto now = std::chrono::steady_clock::now();
    if (r->asserted.load() || r->stop.load()) {
      result.end = RecordResult::End::kAssertion;
      break;
    }
    bool all_done = true;
    for (uint32_t i = 0; i < cfg.cpu_count; ++i) all_done = all_done && r->cpus[i].done.load();
    if (all_done) {
      result.end = RecordResult::End::kCompleted;
      break;
    }
    if (now - t0 >= options.time_limit) {
      result.end = RecordResult::End::kTimeLimit;
      break;
    }
    if (options.interrupt && options.interrupt->load()) {
      result.end = RecordResult::End::kInterrupted;
      break;
    }
    if (options.progress && now >= next_progress) {
      options.progress(snapshot());
      next_progress = now + options.progress_interval;
    }
  }
  r->stop.store(true);
  for (auto& t : threads) t.join();
  sigaction(r->signo, &old, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (r->asserted.load()) {
    result.end = RecordResult::End::kAssertion;
    result.assertion = r->assertion;
  }
  nestrr_logger_finish(&r->lg);
  out.flush();
  for (uint32_t i = 0; i < cfg.cpu_count; ++i) result.records_dropped += nestrr_logger_dropped(&r->lg, i);
  result.final = snapshot();
  return result;
}

}  // namespace nestrr::replay
