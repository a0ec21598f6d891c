// What a gdbserver debugs, apart from how it talks: threads (one per CPU),
// registers, memory, breakpoints, and a history that can be moved forward
// and backward. Two implementations: recorded states from a log
// (recorded_target.h) and the live deterministic replay (live_target.h).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nestrr::gdbstub {

enum class Arch { kX86_64, kI386 };

// The registers a target may know, in the order of the x86-64
// description (i386 targets use the low halves): the general registers,
// segment bases, control registers and EFER (as QEMU's gdbstub names
// them), and nestrr's VMX state of the CPU.
enum Reg : uint32_t {
  kRax, kRbx, kRcx, kRdx, kRsi, kRdi, kRbp, kRsp,
  kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
  kRip, kEflags, kCs, kSs, kDs, kEs, kFs, kGs,
  kFsBase, kGsBase,
  kCr0, kCr2, kCr3, kCr4, kEfer,
  kVmxOperation,  // in VMX operation (after VMXON)
  kVmxRoot,       // in VMX root operation
  kVmxMode,       // the core's one mode variable: 0 off, 1 root, 2 non-root
  kVmcs12,        // the current VMCS12 (guest-physical pointer; ~0: none)
  kInNmi,         // inside the NMI handler
  kRegCount
};

// Unknown registers stay empty: gdb shows them as <unavailable>.
struct CpuRegisters {
  std::array<std::optional<uint64_t>, kRegCount> value;
};

enum class Direction { kForward, kBackward };
// Z2 (write), Z3 (read), Z4 (access).
enum class WatchKind { kWrite, kRead, kAccess };
enum class ResumeMode { kContinue, kStep };

// Kinds of logged event `monitor next`/`prev` look for.
enum class EventKind { kVmExit, kVmEntry, kNmi, kNmiSent, kFlush, kModeChange, kVmcs12, kQuiesce, kAssertion };

struct ResumeRequest {
  Direction direction = Direction::kForward;
  ResumeMode mode = ResumeMode::kContinue;
  std::optional<uint32_t> cpu;  // step: the CPU to step (else any)
  // Polled now and then during a long resume: true stops it (gdb's ^C).
  std::function<bool()> interrupted;
};

struct Stop {
  enum class Why {
    kBreakpoint,    // a breakpoint hit
    kWatchpoint,    // a watched value changed (watch_addr says which)
    kStep,          // a step ended
    kInterrupted,   // the client asked (^C)
    kHistoryBegin,  // backward to the start of what was recorded
    kHistoryEnd,    // forward to the end of the log
  };
  Why why = Why::kStep;
  uint32_t cpu = 0;  // the thread the stop is reported for
  uint64_t watch_addr = 0;
  WatchKind watch_kind = WatchKind::kWrite;
  // A breakpoint stop at the breakpoint's own address (gdb's swbreak: it
  // then names the breakpoint), not merely in a position it stands for.
  bool at_breakpoint = false;
  // An assertion failure of the logged run at this position.
  bool assertion = false;
  // Arrived by a jump (monitor goto), not by running: no signal.
  bool jumped = false;
};

class Target {
 public:
  virtual ~Target() = default;
  virtual Arch arch() const = 0;
  virtual uint32_t cpu_count() const = 0;
  // One line for `info threads`: "cpu0 in handle_vmxon", "cpu1 halted".
  virtual std::string thread_description(uint32_t cpu) = 0;
  virtual CpuRegisters registers(uint32_t cpu) = 0;
  // Up to `len` bytes at `addr`: the readable prefix; empty when nothing
  // at `addr` is known (unknown memory is an error, not zeros).
  virtual std::string read_memory(uint64_t addr, size_t len) = 0;
  // False when no breakpoint can stand at `addr` (gdb then says it cannot
  // insert it).
  virtual bool insert_breakpoint(uint64_t addr) = 0;
  virtual void remove_breakpoint(uint64_t addr) = 0;
  // Watch [addr, addr + len); false when the target cannot watch that
  // (gdb is then told the packet is not supported).
  virtual bool insert_watchpoint(WatchKind, uint64_t /*addr*/, uint64_t /*len*/) { return false; }
  virtual bool remove_watchpoint(WatchKind, uint64_t /*addr*/, uint64_t /*len*/) { return false; }
  virtual Stop resume(const ResumeRequest& request) = 0;
  // Where the history stands now (for `?`).
  virtual Stop current_stop() = 0;

  // The history, in the target's own unit (events of the merged timeline,
  // or scheduler steps of the replay): `monitor event/when/timeline`.
  virtual uint64_t position() = 0;
  virtual uint64_t history_length() = 0;  // positions are [0, length)
  // Moves to `position`; false (with `why`) when it cannot.
  virtual bool seek(uint64_t position, std::string& why) = 0;
  // One line about one position: "12 cpu0#7 +1.2us nmi_received from cpu1".
  virtual std::string describe(uint64_t position) = 0;
  // `monitor when`: the position in the target's words.
  virtual std::string when() = 0;
  // `monitor cpu N`: that CPU's state now.
  virtual std::string cpu_report(uint32_t cpu) = 0;
  // The position of the next (or previous) logged event of `kind` (on
  // `cpu`, or any), with a line about it; nullopt with `why` when none is
  // known.
  virtual std::optional<uint64_t> find_event(EventKind kind, std::optional<uint32_t> cpu, Direction dir,
                                             std::string& what) = 0;

  // `monitor checkpoint`/`restart`: remember exactly where the history
  // stands now (inside a step too, where the target has such places) and
  // come back there. The default remembers the position.
  virtual uint64_t save_place() {
    places_.push_back(position());
    return places_.size();
  }
  virtual bool restore_place(uint64_t id, std::string& why) {
    if (id == 0 || id > places_.size()) {
      why = "no checkpoint " + std::to_string(id);
      return false;
    }
    return seek(places_[id - 1], why);
  }

  // The auxiliary vector (qXfer:auxv:read), which gdb uses to place a
  // position-independent executable; nullopt when there is none.
  virtual std::optional<std::string> auxv() { return std::nullopt; }
  // qOffsets: the text/data displacement of the main executable.
  virtual std::optional<uint64_t> executable_offset() { return std::nullopt; }

 private:
  std::vector<uint64_t> places_;
};

}  // namespace nestrr::gdbstub
