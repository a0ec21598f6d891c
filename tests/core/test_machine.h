// A deterministic, single-threaded host platform for the core: every CPU is
// a fiber (ucontext); the scheduler runs one at a time and switches only at
// the core's yield points and wait_until spins. NMIs are delivered at the
// target's next point (or inside its wait), on its own stack, as the replay
// platform will do. Scheduling policy is a callback, so a test can aim an
// NMI at exactly one yield point.
#pragma once

#include <ucontext.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include "nestrr/core/core.h"
}

namespace nestrr::coretest {

struct AssertionRecord {
  uint32_t cpu;
  std::string condition;
  std::string file;
  uint32_t line;
};

class Machine {
 public:
  struct Cpu {
    ucontext_t ctx{};
    std::vector<char> stack;
    std::function<void()> body;
    bool started = false;
    bool finished = false;    // body returned; idles, answering NMIs
    bool halted = false;
    bool waiting = false;     // yielded from a wait_until with pred false
    bool nmi_pending = false;
    bool in_nmi = false;
    uint64_t points = 0;      // yield points passed (as the platform counts)
    std::vector<uint32_t> trace;  // point ids, in order
    std::vector<core_event> events;
  };

  // Picks the next CPU to run from those not finished or halted.
  using Policy = std::function<int(Machine &)>;

  Machine(uint32_t cpus, core_variant variant, uint64_t l1_mem = 4ull << 20);
  explicit Machine(const core_config &cfg);

  core *c() { return &core_; }
  core_vcpu *vcpu(uint32_t i) { return &core_.vcpu[i]; }
  Cpu &cpu(uint32_t i) { return cpus_[i]; }
  uint32_t cpu_count() const { return cfg_.cpu_count; }
  const std::vector<AssertionRecord> &assertions() const { return asserts_; }
  bool deadlocked() const { return deadlocked_; }
  int current() const { return current_; }
  uint8_t *mem() { return mem_.data(); }

  void set_body(uint32_t cpu, std::function<void()> body);
  // Every CPU runs its configured workload to completion.
  void use_workloads();
  // Runs the fibers until all are finished or halted, or none can move.
  // Returns the number of scheduling decisions.
  uint64_t run(Policy policy, uint64_t max_steps = 50'000'000);

  static Policy round_robin();
  static Policy seeded_random(uint64_t seed);

  bool runnable(uint32_t i) const {
    const Cpu &c = cpus_[i];
    if (!c.started) return static_cast<bool>(c.body);
    return !c.halted && (!c.finished || c.nmi_pending || c.in_nmi);
  }

  // Platform callbacks (wired by replay::platform_of, as every host
  // machine of the core is).
  void *phys(uint64_t pa, uint64_t len);
  uint64_t tsc(uint32_t cpu) const { return cpus_[cpu].points; }
  void send_nmi(uint32_t from, uint32_t to);
  [[noreturn]] void halt(uint32_t cpu);
  void point(uint32_t cpu, uint32_t id);
  void wait_until(uint32_t cpu, uint32_t id, core_wait_pred pred, void *arg);
  void event(uint32_t cpu, const core_event &ev);
  void assert_failed(uint32_t cpu, const char *cond, const char *file,
                     uint32_t line);

 private:
  void init();
  void yield(uint32_t cpu);
  void deliver_nmi(uint32_t cpu);
  static void trampoline(unsigned lo, unsigned hi, unsigned cpu);

  core_config cfg_{};
  core_platform plat_{};
  std::vector<uint8_t> mem_;
  core core_{};
  Cpu cpus_[CORE_MAX_CPUS];
  ucontext_t sched_{};
  int current_ = -1;
  bool deadlocked_ = false;
  std::vector<AssertionRecord> asserts_;
};

// Config helpers.
core_config make_config(uint32_t cpus, core_variant variant);

}  // namespace nestrr::coretest
