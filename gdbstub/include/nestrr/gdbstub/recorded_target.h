// Recorded states of any log (real hardware included), no re-execution.
// At a position in the merged timeline, each CPU's registers are the latest
// the log recorded for it (assertion failures: all general registers; NMIs:
// the interrupted RIP; VMX mode and current VMCS12 from their records),
// memory is the latest snapshot covering an address (memory snapshots,
// assertion stack windows) and else the ELF files' loaded sections;
// anything else is unknown and reads fail.
//
// `c`/`bc` move to the next/previous event with a breakpoint in one of its
// frames (the logged RIP, an assertion's return addresses): a breakpoint
// at a function's entry stands for the whole function, one inside it for
// its source line. A forward `c` also stops at an assertion failure, as a
// program stops at its abort. Write watchpoints stop where the logged
// value of the watched bytes changes (backward: just before). `s`/`bs`
// move one event (of the stepped CPU).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/gdbstub/target.h"
#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::gdbstub {

class RecordedTarget : public Target {
 public:
  // `symbolizer` may be null (no ELF: only logged memory reads). Starts at
  // `start`, else at the first assertion failure, else at the last event.
  // Throws std::invalid_argument when the log has no events or `start` is
  // past its end.
  RecordedTarget(eventlog::Log log, std::unique_ptr<symbolize::Symbolizer> symbolizer,
                 std::optional<uint64_t> start = std::nullopt);

  Arch arch() const override { return arch_; }
  uint32_t cpu_count() const override { return cpu_count_; }
  std::string thread_description(uint32_t cpu) override;
  CpuRegisters registers(uint32_t cpu) override;
  std::string read_memory(uint64_t addr, size_t len) override;
  bool insert_breakpoint(uint64_t addr) override;
  void remove_breakpoint(uint64_t addr) override;
  bool insert_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) override;
  bool remove_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) override;
  Stop resume(const ResumeRequest& request) override;
  Stop current_stop() override;
  uint64_t position() override { return pos_; }
  uint64_t history_length() override { return timeline_.order.size(); }
  bool seek(uint64_t position, std::string& why) override;
  std::string describe(uint64_t position) override;
  std::string when() override;
  std::string cpu_report(uint32_t cpu) override;
  std::optional<uint64_t> find_event(EventKind kind, std::optional<uint32_t> cpu, Direction dir,
                                     std::string& what) override;
  std::optional<uint64_t> executable_offset() override;

 private:
  struct RegisterRecord {
    uint64_t index;  // timeline position
    CpuRegisters regs;
    std::string what;
  };
  struct MemoryRecord {
    uint64_t index;
    uint64_t address;
    const std::string* bytes;  // owned by the log
  };
  struct VmxRecord {
    uint64_t index;
    uint32_t mode;
    uint64_t vmcs12;
  };
  const eventlog::Event& event_at(uint64_t position) const;
  const RegisterRecord* latest_registers(uint32_t cpu) const;
  bool hits_breakpoint(uint64_t position) const;
  // The bytes [addr, addr + len) as the log knows them at `position`
  // (nullopt: not all known).
  std::optional<std::string> logged_bytes(uint64_t position, uint64_t addr, uint64_t len) const;
  // A watched value changes at `position` (against the one before it).
  std::optional<uint64_t> watch_change_at(uint64_t position) const;

  eventlog::Log log_;
  eventlog::Timeline timeline_;
  eventlog::TimeBase time_base_;
  std::unique_ptr<symbolize::Symbolizer> symbolizer_;
  Arch arch_ = Arch::kX86_64;
  uint32_t cpu_count_ = 1;
  uint64_t pos_ = 0;
  Stop last_stop_;
  std::vector<std::vector<RegisterRecord>> registers_;  // per CPU, by index
  std::vector<std::vector<VmxRecord>> vmx_;             // per CPU, by index
  std::vector<MemoryRecord> memory_;                    // in timeline order
  // Breakpoint address -> the code it stands for: a whole function (at
  // its entry) or one source line.
  struct Site {
    uint64_t addr;
    uint64_t lo = 0, hi = 0;  // the function
    std::string file;         // with `line`: only this line of it
    uint32_t line = 0;
  };
  std::vector<Site> breakpoints_;
  struct Watch {
    uint64_t addr, len;
  };
  std::vector<Watch> watches_;
};

}  // namespace nestrr::gdbstub
