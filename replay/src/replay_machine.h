// One re-execution of a log: the core on fibers under the deterministic
// scheduler, with a fixed choice of where each NMI lands among the
// positions its recorded progress count allows.
#pragma once

#include <cstdint>
#include <map>
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
#include "nestrr/replay/host_memory.h"
#include "nestrr/replay/replayer.h"

namespace nestrr::replay {

// Per CPU, per recorded NMI: which of the positions that qualify it is
// delivered at. A position qualifies when the CPU's count equals the NMI's
// recorded progress and the CPU's next expected record is the NMI's own
// (so the records logged before it are out). 0 = the first of them: inside
// the point itself, before the access that follows it, when the log allows;
// later ones are event and lock callbacks and the entry of the next point,
// i.e. after that access.
using NmiSlots = std::vector<std::vector<uint32_t>>;

struct DeliveredNmi {
  uint32_t cpu = 0;
  uint32_t index = 0;  // into ExpectedCpu::nmis
};

struct Attempt {
  std::optional<Divergence> divergence;
  std::optional<ReproducedFailure> failure;
  std::vector<TraceEntry> trace;
  std::vector<uint64_t> progress;
  std::vector<uint64_t> stack;
  uint64_t events_checked = 0;
  std::vector<DeliveredNmi> delivered;  // in delivery order
  std::vector<uint32_t> cut;
};

struct FiberArgs {
  class ReplayMachine* m;
  uint32_t cpu;
};

class ReplayMachine {
 public:
  ReplayMachine(const ExpectedLog& expected, const NmiSlots& slots, const ReplayOptions& options);
  ~ReplayMachine();
  Attempt run();
  // run() in pieces, for a debugger that stops between steps: start(),
  // then step() until it returns false, then finish().
  void start();
  bool step();  // one scheduler pick: a vCPU runs until it parks
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
  int last_stepped() const { return last_stepped_; }
  uint64_t records_checked() const { return out_.events_checked; }
  const struct core& core_state() const { return core_; }

  // Platform callbacks (platform.h).
  void* phys(uint64_t pa, uint64_t len) { return memory_->at(pa, len); }
  void send_nmi(uint32_t from, uint32_t to);
  [[noreturn]] void halt(uint32_t cpu);
  void point(uint32_t cpu, uint32_t id);
  void wait_until(uint32_t cpu, uint32_t id, core_wait_pred pred, void* arg);
  void lock_acquired(uint32_t cpu, uint32_t lock);
  void event(uint32_t cpu, const core_event& ev);
  void assert_failed(uint32_t cpu, const char* cond, const char* file, uint32_t line);
  void write(const char* bytes, unsigned long n) { decoder_.feed(bytes, n); }
  uint64_t tsc() const { return epoch_; }
  void cpu_body(uint32_t cpu);

 private:
  struct VCpu {
    std::unique_ptr<Fiber> fiber;
    bool finished = false, halted = false, parked = false, idle_done = false;
    bool blocked = false;
    uint64_t blocked_epoch = 0;
    std::string block_reason;
    bool in_nmi = false;
    size_t next_record = 0;
    uint32_t next_nmi = 0;
    uint64_t nmis_sent_to = 0;
    uint64_t slot_progress = ~0ull;
    uint32_t slot_index = 0;
    uint32_t last_point = 0;
  };

  uint64_t progress(uint32_t cpu) const { return core_.vcpu[cpu].progress; }
  bool in_fiber(uint32_t cpu) const { return current_ == static_cast<int>(cpu); }
  void trace(TraceEntry::Kind kind, uint32_t cpu, uint32_t point, uint32_t other, std::string text);
  // A position where an NMI may land; `adjust` = 1 at the entry of a point
  // (the count already includes it) to offer the previous count's last slot.
  void nmi_hook(uint32_t cpu, uint32_t adjust, bool idle);
  void deliver(uint32_t cpu, uint32_t adjust);
  void block(uint32_t cpu, std::string reason);
  void check_records(uint32_t cpu);
  void diverge(uint32_t cpu, size_t index, std::string got);
  [[noreturn]] void leave(uint32_t cpu);  // suspend this fiber for good
  bool eligible(uint32_t cpu) const;
  void finish_checks();

  const ExpectedLog& exp_;
  const NmiSlots& slots_;
  ReplayOptions options_;
  core_config cfg_{};
  core_platform plat_{};
  std::unique_ptr<HostMemory> memory_;
  core core_{};
  std::vector<uint64_t> lg_mem_;
  nestrr_logger lg_{};
  RecordDecoder decoder_;
  std::vector<VCpu> cpus_;
  std::map<uint32_t, size_t> lock_pos_;
  uint64_t epoch_ = 1;
  int current_ = -1;
  int last_stepped_ = -1;
  std::vector<struct FiberArgs> args_;
  bool stop_ = false;
  Attempt out_;
};

}  // namespace nestrr::replay
