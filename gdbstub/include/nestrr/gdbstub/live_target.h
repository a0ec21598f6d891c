// The live deterministic replay of the core as a gdb target. Threads are
// the replay's vCPU fibers, parked at yield points with their registers
// saved and their frames on their own stacks, in this very process: gdb
// debugs the nestrr binary itself (bt, frame N, p *vcpu through its debug
// info). Positions are scheduler steps (one vCPU resumed until it parks).
// `c`/`s` run the replay forward; `bc`/`bs` go back to the chosen step
// from the nearest replay checkpoint before it (every step's vCPU and code
// position is remembered from the first pass, so the target step is known
// without running). The first pass runs on demand: the server answers
// gdb's first packets at once, and the pass runs when something needs the
// replay's state (the stop reply, registers, ...), showing its progress.
// A breakpoint hits at a step when the stepped vCPU parked in the
// function holding the breakpoint: its innermost frame outside the replay
// machinery (the scheduler, fibers, the platform callbacks and the core's
// yield-point helpers). A write watchpoint compares the watched bytes
// after every step: forward, the stop is after the step that changed them,
// with the writer as the thread; backward, before it (the writer about to
// run), found by re-running the stretches behind from their checkpoints.
// The core's memory stays at the same addresses at every position (a
// checkpoint restores in place), so a watched address means the same
// object throughout. Read and access watchpoints are not offered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/gdbstub/target.h"
#include "nestrr/replay/live_replay.h"
#include "nestrr/replay/symbolize.h"

namespace nestrr::gdbstub {

class LiveTarget : public Target {
 public:
  // Sets the replay up; the first pass over the whole log (to learn its
  // length and every step's position) runs on first need, or at
  // first_pass(); then the target stands at `start` (default: the end,
  // where the run failed or finished). Throws std::invalid_argument for a
  // log that cannot be replayed (here) or a start past the end (at the pass).
  explicit LiveTarget(const eventlog::Log& log, std::optional<uint64_t> start = std::nullopt);
  // Runs the first pass now if it has not run; logs progress about every
  // second while it runs.
  void first_pass();
  bool first_pass_done() const { return passed_; }

  Arch arch() const override { return Arch::kX86_64; }
  uint32_t cpu_count() const override { return replay_.cpu_count(); }
  std::string thread_description(uint32_t cpu) override;
  CpuRegisters registers(uint32_t cpu) override;
  std::string read_memory(uint64_t addr, size_t len) override;
  void insert_breakpoint(uint64_t addr) override;
  void remove_breakpoint(uint64_t addr) override;
  bool insert_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) override;
  bool remove_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) override;
  Stop resume(const ResumeRequest& request) override;
  Stop current_stop() override;
  uint64_t position() override {
    first_pass();
    return replay_.steps();
  }
  uint64_t history_length() override {
    first_pass();
    return step_cpu_.size() + 1;
  }
  bool seek(uint64_t position, std::string& why) override;
  std::string describe(uint64_t position) override;
  std::string when() override;
  std::string cpu_report(uint32_t cpu) override;
  std::optional<std::string> auxv() override;
  // gdb 13 does not read the auxiliary vector on `target remote` before it
  // places the executable; qOffsets with this process's load bias does.
  std::optional<uint64_t> executable_offset() override;

  // Where step `step` (1-based) left its vCPU: a return address in the
  // core (0 outside it). Known for every step from the first pass.
  uint64_t parked_at(uint64_t step) const { return step && step <= step_pc_.size() ? step_pc_[step - 1] : 0; }
  // Moves backward so far (each from the nearest replay checkpoint).
  uint64_t reexecutions() const { return reexecutions_; }
  const replay::LiveReplay& replay() const { return replay_; }

 private:
  // Moves to `step` (from the nearest checkpoint when it lies behind).
  void go_to(uint64_t step);
  // One step forward, remembering what it did; false at the end.
  bool step_forward();
  // Where the vCPU stands in the core: its innermost non-machinery frame.
  uint64_t position_pc(uint32_t cpu);
  bool machinery(uint64_t return_address);
  bool hits(uint64_t pc) const;
  std::string where(uint64_t pc) const;
  // The watched bytes now, one string per watchpoint (empty: unreadable).
  std::vector<std::string> watched_now();
  // Backward to the latest step after `floor` that changed a watched
  // value; true (standing before that step) when there is one.
  bool reverse_to_watch_change(uint64_t floor, const ResumeRequest& req);

  replay::LiveReplay replay_;
  replay::HostSymbolizer symbols_;
  std::vector<uint32_t> step_cpu_;  // step i + 1 ran vCPU step_cpu_[i]
  std::vector<uint64_t> step_pc_;   // ... which then parked at step_pc_[i]
  std::unordered_map<uint64_t, bool> machinery_;
  std::vector<std::pair<uint64_t, std::pair<uint64_t, uint64_t>>> breakpoints_;
  struct Watch {
    uint64_t addr, len;
  };
  std::vector<Watch> watches_;
  Stop::Why last_why_ = Stop::Why::kStep;
  uint64_t watch_hit_ = 0;             // the watchpoint of the last kWatchpoint stop
  std::optional<uint32_t> stop_cpu_;   // reported instead of the last step's vCPU
  uint64_t reexecutions_ = 0;
  std::optional<uint64_t> start_;
  bool passed_ = false;
};

}  // namespace nestrr::gdbstub
