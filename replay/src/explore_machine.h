// One explored run: the core on fibers, every decision taken by a Strategy,
// every record logged into memory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "nestrr/logger.h"
}

#include "explore_strategy.h"
#include "fiber.h"
#include "nestrr/replay/explore.h"
#include "nestrr/replay/host_memory.h"
#include "nestrr/replay/scenario.h"
#include "scenario_header.h"

namespace nestrr::replay {

// One decision of a run, enough to take it again: what was chosen, and
// where the CPU that ran before it stood (its progress count), which names
// the decision across runs that differ elsewhere.
struct ExploreDecision {
  uint32_t cpu = 0;
  bool nmi = false;
  uint64_t progress = 0;        // the chosen CPU's progress count
  uint32_t landing = 0;         // and its landing key (explore_strategy.h)
  int32_t last = -1;            // CPU that ran the step before, -1 at the start
  uint64_t last_progress = 0;   // its progress count then
  bool default_cpu = false;     // the CPU default_option() runs
  bool preemption = false;      // switched away from a CPU that could go on
  bool nmi_late = false;        // ran a CPU without its pending NMI
};

// What a schedule costs: bounded search's measure, and minimization's.
ExploreCost cost_of(const std::vector<ExploreDecision>& trace);

struct ExploredRun {
  enum class End { kCompleted, kAssertion, kDeadlock, kStepLimit } end = End::kCompleted;
  uint64_t steps = 0;
  uint32_t cpu = 0;  // kAssertion
  std::string condition, file;
  uint32_t line = 0;
  uint64_t progress = 0;
  std::string log;  // .nrr bytes, header to trailers
  std::string stuck;  // kDeadlock: who waits where
  std::vector<ExploreDecision> trace;
};

class ExploreMachine {
 public:
  // The machine keeps its memory between runs: construct once, run many.
  explicit ExploreMachine(const Scenario& scenario, uint64_t max_steps);
  ~ExploreMachine();
  ExploredRun run(Strategy& strategy);

  // Platform callbacks (platform.h).
  void* phys(uint64_t pa, uint64_t len) { return memory_.at(pa, len); }
  void send_nmi(uint32_t from, uint32_t to);
  [[noreturn]] void halt(uint32_t cpu);
  void point(uint32_t cpu, uint32_t id);
  void wait_until(uint32_t cpu, uint32_t id, core_wait_pred pred, void* arg);
  void lock_acquired(uint32_t cpu, uint32_t lock);
  void event(uint32_t cpu, const core_event& ev);
  void assert_failed(uint32_t cpu, const char* cond, const char* file, uint32_t line);
  void write(const char* bytes, unsigned long n) { out_.log.append(bytes, n); }
  uint64_t clock() { return ++clock_; }
  uint64_t tsc(uint32_t) { return clock(); }
  void cpu_body(uint32_t cpu);

 private:
  struct VCpu {
    std::unique_ptr<Fiber> fiber;
    bool started = false, idle = false, halted = false, in_nmi = false;
    uint32_t pending_nmis = 0;
    bool take_nmi = false;  // the decision that resumed it
    // In a wait_until: what it waits for. An NMI taken inside the wait
    // runs its handler with no wait of its own (its points can go), then
    // the wait is restored.
    struct Wait {
      bool waiting = false;
      uint32_t point = 0;
      core_wait_pred pred = nullptr;
      void* arg = nullptr;
    } wait;
  };

  bool in_fiber(uint32_t cpu) const { return current_ == static_cast<int>(cpu); }
  void yield(uint32_t cpu);  // back to the scheduler, then the decision's NMI
  [[noreturn]] void leave(uint32_t cpu);
  bool can_go(uint32_t cpu) const;
  void options(std::vector<ExploreOption>* out) const;
  uint32_t landing(uint32_t cpu) const;

  Scenario scenario_;
  uint64_t max_steps_;
  core_config cfg_{};
  core_platform plat_{};
  HostMemory memory_;
  core core_{};
  ScenarioHeader header_;
  std::string description_;
  std::vector<uint64_t> lg_mem_;
  nestrr_logger lg_{};
  std::vector<VCpu> cpus_;
  uint64_t clock_ = 0;
  int current_ = -1;
  ExploredRun out_;
};

}  // namespace nestrr::replay
