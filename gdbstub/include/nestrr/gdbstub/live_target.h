// The live deterministic replay of the core as a gdb target. Threads are
// the replay's vCPU fibers in this very process: gdb debugs the nestrr
// binary itself (bt, frame N, p *vcpu through its debug info).
//
// Where the replay stands (a Spot) is a number of whole scheduler steps
// (one vCPU resumed until it parks at its next yield point), and possibly
// a place inside the next one, where a trap (fiber_traps.h) paused its
// vCPU: a breakpoint at any instruction, a hardware watchpoint, a single
// instruction step. Such a place is named so that it can be reached again
// from the step's start: the Nth run of an instruction in that step, or
// the Nth hit of a watch, then K single steps. So every position can be
// left and come back to, in either direction, from the nearest replay
// checkpoint before it.
//
// Forward, `c`/`s` run the replay with gdb's breakpoints and watches armed.
// Backward, `bc` re-runs the stretches behind the current position (one
// checkpoint interval at a time, latest first) counting hits, and goes to
// the latest; a watch stops before the access, as rr does. `bs` traces the
// step with the thread's previous instruction and stops there.
//
// The core's memory stays at the same addresses at every position (a
// checkpoint restores in place), so a watched address means the same
// object throughout.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/gdbstub/target.h"
#include "nestrr/replay/fiber_traps.h"
#include "nestrr/replay/live_replay.h"
#include "nestrr/replay/symbolize.h"

namespace nestrr::gdbstub {

// A place inside a step, as it can be reached again from the step's start.
struct Anchor {
  enum class Kind : uint8_t { kCode, kWatch };
  Kind kind = Kind::kCode;
  uint64_t addr = 0;           // kCode: the instruction about to run
  replay::WatchSpec watch;     // kWatch: right after an access to it
  uint64_t count = 0;          // its Nth run (hit) in the step
  uint64_t then_steps = 0;     // single instructions after that
  friend bool operator==(const Anchor&, const Anchor&) = default;
};

struct Spot {
  uint64_t step = 0;              // whole steps done
  std::optional<Anchor> inside;   // paused inside step + 1 there
  friend bool operator==(const Spot&, const Spot&) = default;
};

class LiveTarget : public Target, private replay::TrapObserver {
 public:
  // Sets the replay up (nothing runs yet). Throws std::invalid_argument
  // for a log that cannot be replayed here. `start`: the step to stand at
  // (checked when the target first runs).
  explicit LiveTarget(const eventlog::Log& log, std::optional<uint64_t> start = std::nullopt);
  ~LiveTarget() override;

  // Where to stand at first, decided once: --event's step; else the end of
  // the replay (where the run failed) if the replay gets there within
  // `budget`; else step 0, as rr starts, with the end still unknown
  // (continue finds it). Throws std::invalid_argument for a start past
  // the end. Logs progress about every second. Setting `give_up` has the
  // same effect as the budget running out.
  void settle(std::chrono::milliseconds budget = std::chrono::milliseconds::max(),
              const std::atomic<bool>* give_up = nullptr);
  bool settled() const { return settled_; }
  // The replay's end has been reached once (its length is known).
  bool end_known() const { return end_known_; }

  Arch arch() const override { return Arch::kX86_64; }
  uint32_t cpu_count() const override { return replay_.cpu_count(); }
  std::string thread_description(uint32_t cpu) override;
  CpuRegisters registers(uint32_t cpu) override;
  std::string read_memory(uint64_t addr, size_t len) override;
  bool insert_breakpoint(uint64_t addr) override;
  void remove_breakpoint(uint64_t addr) override;
  bool insert_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) override;
  bool remove_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) override;
  Stop resume(const ResumeRequest& request) override;
  Stop current_stop() override;
  uint64_t position() override;
  uint64_t history_length() override;
  bool seek(uint64_t position, std::string& why) override;
  std::string describe(uint64_t position) override;
  std::string when() override;
  std::string cpu_report(uint32_t cpu) override;
  std::optional<uint64_t> find_event(EventKind kind, std::optional<uint32_t> cpu, Direction dir,
                                     std::string& what) override;
  std::optional<std::string> auxv() override { return own_auxv(); }
  uint64_t save_place() override;
  bool restore_place(uint64_t id, std::string& why) override;
  // This process's auxiliary vector (qXfer:auxv:read).
  static std::optional<std::string> own_auxv();
  // gdb 13 does not read the auxiliary vector on `target remote` before it
  // places the executable; qOffsets with this process's load bias does.
  std::optional<uint64_t> executable_offset() override;

  const Spot& spot() const { return spot_; }
  // Where step `step` (1-based) left its vCPU: a return address in the
  // core (0 outside it). Known for every step run so far.
  uint64_t parked_at(uint64_t step) const { return step && step <= step_pc_.size() ? step_pc_[step - 1] : 0; }
  // Moves backward so far (each from the nearest replay checkpoint).
  uint64_t reexecutions() const { return reexecutions_; }
  const replay::LiveReplay& replay() const { return replay_; }
  // How watches are kept: by the CPU's debug registers (exact, stops
  // right after the access), or by comparing values after every step.
  bool hardware_watches() const { return hardware_watches_; }

 private:
  struct Watch {
    WatchKind kind;
    uint64_t addr, len;
  };
  // What the trap observer is after while the replay runs.
  struct Mission;
  bool on_trap(const replay::TrapEvent& event) override;

  // Runs the replay forward one scheduler step (or the rest of a paused
  // one), remembering what whole steps did; false at the end.
  bool advance();
  void note_step_done();
  // To a boundary (from the nearest checkpoint when it lies behind).
  void go_to(uint64_t step);
  // To any spot; false if it could not be reached (the replay went
  // elsewhere: a bug, logged).
  bool reach(const Spot& spot);
  // Arm gdb's breakpoints (and `extra`) and watches for a run.
  void arm(std::optional<uint64_t> extra = std::nullopt);
  void disarm();
  void apply_watches();
  // Counts of the armed traps in the current step are known only when they
  // were armed since the step began; re-reach the spot to know them.
  void recount();

  // Runs one step (or the rest of a paused one) under `m`, armed.
  void run_one(Mission& m, std::optional<uint64_t> extra_code = std::nullopt,
               std::optional<replay::WatchSpec> extra_watch = std::nullopt);
  Stop run_forward(const ResumeRequest& req);
  Stop run_backward(const ResumeRequest& req);
  Stop step_back(uint32_t cpu);
  // A stop found going backward: where, and what to tell gdb.
  struct Found {
    Spot spot;
    Stop stop;
  };
  // The latest hit of a breakpoint or watch before the current spot;
  // nullopt when there is none (or `interrupted`).
  std::optional<Found> latest_hit_before(const ResumeRequest& req, bool& interrupted);
  // The instruction `cpu` ran before `spot`, as a spot (nullopt: none).
  std::optional<Spot> previous_instruction(uint32_t cpu, const Spot& spot);
  // The instruction before the `count`th access to `watch` in step `step`.
  std::optional<Anchor> before_access(uint64_t step, const replay::WatchSpec& watch, uint64_t count);
  // The gdb watch a debug-register piece belongs to.
  const Watch* watch_of(const replay::WatchSpec& piece) const;
  void log_progress(std::chrono::steady_clock::time_point& next, const char* what);

  // Value-compare watches when hardware watches are not available.
  std::vector<std::string> watched_now();
  bool reverse_to_watch_change(uint64_t floor, const ResumeRequest& req);

  uint64_t position_pc(uint32_t cpu);
  bool machinery(uint64_t return_address);
  std::string where(uint64_t pc) const;
  std::string spot_text() const;
  Stop stop_here(Stop::Why why, std::optional<uint32_t> cpu);

  replay::LiveReplay replay_;
  replay::FiberTraps* traps_ = nullptr;  // null where fibers cannot trap
  replay::HostSymbolizer symbols_;
  std::vector<uint32_t> step_cpu_;  // step i + 1 ran vCPU step_cpu_[i]
  std::vector<uint64_t> step_pc_;   // ... which then parked at step_pc_[i]
  std::vector<uint32_t> step_records_;  // ... having checked this many of its records
  // Per CPU, its logged events' sequence numbers and kinds (for `monitor
  // next`/`prev`), in sequence order.
  struct LoggedEvent {
    uint64_t seq;
    std::optional<EventKind> kind;
  };
  std::vector<std::vector<LoggedEvent>> logged_;
  // The core's assertion entry: a forward run stops there, as at an abort.
  uint64_t assert_entry_ = 0;
  uint64_t assert_stopped_in_ = 0;  // the step (1-based) whose assertion stopped a run inside it
  std::unordered_map<uint64_t, bool> machinery_;
  std::vector<uint64_t> breakpoints_;
  std::vector<Watch> watches_;
  std::vector<replay::WatchSpec> hw_watches_;  // watches_ in debug-register pieces
  bool hardware_watches_ = false;
  Spot spot_;
  bool counts_known_ = true;  // of the traps armed now, in the step paused in
  bool traced_from_start_ = false;  // that step has been traced since it began
  Stop last_stop_;
  Mission* mission_ = nullptr;
  uint64_t reexecutions_ = 0;
  std::optional<uint64_t> start_;
  std::vector<Spot> places_;  // monitor checkpoint
  bool settled_ = false, end_known_ = false;
};

}  // namespace nestrr::gdbstub
