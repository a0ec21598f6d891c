// The re-execution of a log: the core on fibers under the deterministic
// scheduler. Every NMI is delivered at the one position its recorded
// progress count names (platform.h, "NMIs"), every CPU the recording cut is
// stopped where its cut record says: one pass, nothing searched.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "nestrr/logger.h"
}

#include "event_check.h"
#include "expected_log.h"
#include "fiber.h"
#include "fixed_arena.h"
#include "trace_ring.h"
#include "nestrr/replay/host_memory.h"
#include "nestrr/replay/replayer.h"

namespace nestrr::replay {

struct Attempt {
  std::optional<Divergence> divergence;
  // The replay reached what the log lost (a kLost record): where, and what.
  std::optional<Divergence> lost;
  std::optional<ReproducedFailure> failure;
  std::vector<TraceEntry> trace;
  std::vector<uint64_t> progress;
  std::vector<uint64_t> stack;
  uint64_t events_checked = 0;
  std::vector<uint32_t> cut;
};

struct FiberArgs {
  class ReplayMachine* m;
  uint32_t cpu;
};

// Everything a re-execution's future depends on, between two steps: the
// core, its memory, the replay logger, each vCPU's scheduling state and
// fiber stack, and what was found so far. It restores into the machine it
// was taken from only (the fibers' frames point into it).
struct ReplayCheckpoint;

class ReplayMachine {
 public:
  // With an arena, its machine memory and fiber stacks are taken from it
  // (the machine itself should then live there too).
  ReplayMachine(ExpectedSource& expected, const ReplayOptions& options, FixedArena* arena = nullptr);
  ~ReplayMachine();
  Attempt run();
  // run() in pieces, for a debugger that stops between steps: start(),
  // then step() until it returns false, then finish().
  void start();
  bool step();  // one scheduler pick: a vCPU runs until it parks
  // The vCPU step() runs next (-1: none can). Deterministic, runs nothing.
  int next_pick();
  // The last step() ended with its vCPU paused by a trap (fiber_traps.h)
  // before its next yield point; the next step() goes on with it.
  int paused_cpu() const { return paused_; }
  Attempt finish();

  // What a debugger inspects between steps.
  struct VcpuView {
    const Fiber* fiber = nullptr;
    bool finished = false, halted = false, cut = false, blocked = false, in_nmi = false;
    std::string block_reason;
    uint32_t last_point = 0;
    uint64_t progress = 0;
    size_t next_record = 0;
  };
  VcpuView view(uint32_t cpu) const;
  const Fiber* fiber(uint32_t cpu) const { return cpus_[cpu].fiber.get(); }
  int last_stepped() const { return last_stepped_; }
  uint64_t records_checked() const { return out_.events_checked; }
  uint64_t next_record(uint32_t cpu) const { return cpus_[cpu].next_record; }
  const std::optional<ReproducedFailure>& failure() const { return out_.failure; }
  const struct core& core_state() const { return core_; }
  // [p, p + len) lies in the core or its machine-physical memory: memory
  // this machine holds, mapped and at the same place, for its lifetime.
  bool owns(const void* p, uint64_t len) const;
  const std::optional<Divergence>& divergence() const { return out_.divergence; }
  const std::optional<Divergence>& lost() const { return out_.lost; }

  // Between steps only. False from can_checkpoint() where fibers cannot
  // be copied (sanitizer builds).
  static bool can_checkpoint();
  std::unique_ptr<ReplayCheckpoint> checkpoint() const;
  void restore(const ReplayCheckpoint& c);
  static size_t checkpoint_bytes(const ReplayCheckpoint& c);

  // Platform callbacks (platform.h).
  void* phys(uint64_t pa, uint64_t len) { return memory_->at(pa, len); }
  void send_nmi(uint32_t from, uint32_t to);
  [[noreturn]] void halt(uint32_t cpu);
  void point(uint32_t cpu, uint32_t id);
  void wait_until(uint32_t cpu, uint32_t id, core_wait_pred pred, void* arg);
  void lock_acquired(uint32_t cpu, uint32_t lock);
  void event(uint32_t cpu, const core_event& ev);
  void assert_failed(uint32_t cpu, const char* cond, const char* file, uint32_t line);
  void packet(const char* bytes, unsigned long n) { decoder_.feed_packet(bytes, n); }
  uint64_t tsc(uint32_t) const { return epoch_; }
  void cpu_body(uint32_t cpu);

 private:
  // Why a vCPU cannot go on; the text is made only when someone asks.
  struct Block {
    enum class Why : uint8_t { kNone, kNmiNotSent, kLockTurn, kSpinning, kIdle } why = Why::kNone;
    uint32_t a = 0;  // NMI index, lock id, point id
    uint32_t b = 0;  // NMI source
    uint64_t c = 0;  // the CPU's ticket at the lock
  };
  friend struct ReplayCheckpoint;
  struct VCpuState {
    bool finished = false, halted = false, parked = false, idle_done = false;
    bool blocked = false;
    uint64_t blocked_epoch = 0;
    Block block;
    bool in_nmi = false;
    size_t next_record = 0;
    uint32_t next_nmi = 0;  // NMIs taken so far
    uint64_t nmis_sent_to = 0;
    uint32_t last_point = 0;
  };
  struct VCpu : VCpuState {
    std::unique_ptr<Fiber> fiber;
  };

  uint64_t progress(uint32_t cpu) const { return core_vcpu_progress(&core_.vcpu[cpu]); }
  bool in_fiber(uint32_t cpu) const { return current_ == static_cast<int>(cpu); }
  TraceEntry* trace(TraceEntry::Kind kind, uint32_t cpu, uint32_t point, uint32_t other,
                    const char* text = "");
  // The CPU's next expected record, null past the end of its stream.
  const ExpectedRecord* next(uint32_t cpu) { return exp_.at(cpu, cpus_[cpu].next_record); }
  // Delivers the NMI the CPU's next record is, if its count is now.
  void deliver_due(uint32_t cpu);
  void resume_from(const ResumePoint& r);
  void deliver(uint32_t cpu, uint32_t source);
  void arrive(uint32_t cpu, uint32_t id);
  // Stops the CPU for good if the recording cut it here.
  void cut_here(uint32_t cpu, uint32_t point);
  void lock_turn(uint32_t cpu, uint32_t lock);
  void block(uint32_t cpu, Block why);
  std::string block_text(const Block& b) const;
  void check_records(uint32_t cpu);
  void diverge(uint32_t cpu, size_t index, std::string got);
  [[noreturn]] void leave(uint32_t cpu);  // suspend this fiber for good
  bool eligible(uint32_t cpu) const;
  void finish_checks();

  ExpectedSource& exp_;
  ReplayOptions options_;
  FixedArena* arena_ = nullptr;
  core_config cfg_{};
  core_platform plat_{};
  std::unique_ptr<HostMemory> memory_;
  core core_{};
  std::vector<uint64_t> lg_mem_;
  nestrr_logger lg_{};
  RecordDecoder decoder_;
  std::vector<VCpu> cpus_;
  uint64_t epoch_ = 1;
  int current_ = -1;
  int last_stepped_ = -1;
  int paused_ = -1;
  std::vector<struct FiberArgs> args_;
  bool stop_ = false;
  Attempt out_;     // out_.trace stays empty until finish(): the entries are in trace_
  TraceRing trace_;
};

struct ReplayCheckpoint {
  struct core core_state;
  MemoryImage memory;
  std::vector<uint64_t> lg_mem;
  nestrr_logger lg;
  std::vector<ReplayMachine::VCpuState> cpus;
  std::vector<FiberImage> fibers;
  uint64_t epoch = 0;
  int last_stepped = -1;
  bool stop = false;
  Attempt out;
  TraceRing trace;
};

}  // namespace nestrr::replay
