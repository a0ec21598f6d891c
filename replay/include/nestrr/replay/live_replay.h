// A replay a debugger drives: the same deterministic re-execution as
// replay(), run one scheduler step at a time (one vCPU resumed until it
// parks at its next yield point), with checkpoints to go back cheaply. The
// vCPUs are fibers of this process: between steps each parked one has its
// registers saved and its frames live on its own stack.
#pragma once

#include <ucontext.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "nestrr/core/core.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/replay/replayer.h"
#include "nestrr/replay/stack_capture.h"

namespace nestrr::replay {

struct ParkedVcpu {
  enum class State { kNotStarted, kParked, kBlocked, kFinished, kHalted, kCut };
  State state = State::kNotStarted;
  std::string detail;  // "at vmxon_set_root", "blocked: spinning in ...", "halted"
  bool in_nmi = false;
  uint64_t progress = 0;        // yield points passed
  uint64_t records_checked = 0; // of this CPU's log
  const ucontext_t* context = nullptr;  // saved registers; null before its first step
  StackBounds stack;
};

class LiveReplay {
 public:
  // Starts a re-execution at step 0 (nothing runs before the first step).
  // Throws std::invalid_argument when the log cannot be replayed.
  explicit LiveReplay(const eventlog::Log& log);
  ~LiveReplay();
  LiveReplay(const LiveReplay&) = delete;
  LiveReplay& operator=(const LiveReplay&) = delete;

  uint32_t cpu_count() const;
  // Back to step 0.
  void restart();
  // One scheduler step; false when the replay is over (nothing can run).
  // With traps armed (fiber_traps.h) the step may end early, its vCPU
  // paused inside it (paused()); the next step() goes on with that vCPU
  // and counts as the same step.
  bool step();
  bool paused() const;
  // The vCPU paused inside its step (its saved registers are then all of
  // them, taken by the trap).
  std::optional<uint32_t> paused_cpu() const;
  // The vCPU the next step() runs (the paused one, if any); nullopt at the
  // end. Runs nothing.
  std::optional<uint32_t> next_cpu() const;
  // To step `step`, forward or back (a pause inside a step is given up):
  // from the nearest checkpoint at or before it (taken as steps are first run, every 32k steps while they
  // fit in 1 GiB), re-executing only the rest. Returns the steps run.
  // Stops early at the end of the replay.
  uint64_t seek(uint64_t step);
  size_t checkpoint_count() const;
  size_t checkpoint_bytes() const;
  // False in sanitizer builds: seek then re-executes from the start.
  static bool can_checkpoint_here();
  uint64_t steps() const { return steps_; }
  // The vCPU the last whole step ran.
  std::optional<uint32_t> last_cpu() const;
  // False where fibers cannot be paused by traps (sanitizer builds).
  static bool can_trap_here();
  uint64_t records_checked() const;
  // A CPU's records checked so far (the index of its next one), cheaply.
  uint64_t records_checked(uint32_t cpu) const;
  // The logged records a CPU must reproduce: how many, and each one's
  // sequence number in the log.
  uint64_t record_count(uint32_t cpu) const;
  uint64_t record_seq(uint32_t cpu, uint64_t index) const;
  ParkedVcpu vcpu(uint32_t cpu) const;
  // Just the saved registers (null before its first step) and the stack of
  // a parked vCPU: what a debugger reads at every step, without the texts.
  const ucontext_t* context(uint32_t cpu) const;
  StackBounds stack(uint32_t cpu) const;
  const core& core_state() const;
  // [addr, addr + len) lies in the core or its machine-physical memory,
  // which stay mapped, at the same addresses, for the replay's lifetime
  // (where checkpoints are possible; see can_checkpoint_here).
  bool owns(uint64_t addr, uint64_t len) const;
  // The CPU whose assertion failed so far in this re-execution.
  std::optional<uint32_t> failed_cpu() const;
  // The first difference from the log met so far (the replay stops there).
  const std::optional<Divergence>& divergence() const;
  // Where the replay reached the log's first loss on a CPU and stopped (a
  // log with loss replays up to it): ReplayResult::lost.
  const std::optional<Divergence>& lost() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t steps_ = 0;
};

}  // namespace nestrr::replay
