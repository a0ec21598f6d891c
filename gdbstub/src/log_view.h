// What the gdbstub reads from a log's events, in one place: an event's
// kind, the registers, memory and VMX state it records, where its code
// was. The rest of gdbstub sees no record message, so a change of the
// log's in-memory form touches only this file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/gdbstub/target.h"

namespace nestrr::gdbstub::log_view {

std::optional<EventKind> kind_of(const eventlog::Event& e);
bool is_assertion(const eventlog::Event& e);
bool is_memory(const eventlog::Event& e);

// The registers an event records for its CPU (an assertion failure: all
// it logged; an NMI: the interrupted RIP), and what it was.
struct LoggedRegisters {
  CpuRegisters regs;
  std::string what;
};
std::optional<LoggedRegisters> registers_of(const eventlog::Event& e);

// Memory an event records (a snapshot, an assertion's stack window).
struct LoggedMemory {
  uint64_t address = 0;
  const std::string* bytes = nullptr;  // owned by the log
};
std::optional<LoggedMemory> memory_of(const eventlog::Event& e);

// The code address an event stands at (assertion RIP, NMI's interrupted
// RIP), and, for an assertion, the return addresses it logged.
std::optional<uint64_t> code_address(const eventlog::Event& e);
std::vector<uint64_t> return_addresses(const eventlog::Event& e);

// How an event changes its CPU's VMX state (org.nestrr.vmx registers):
// the mode after it, or the current VMCS12 after a load or clear.
struct VmxChange {
  std::optional<uint32_t> mode;      // 0 off, 1 root, 2 non-root
  std::optional<uint64_t> loaded;    // VMPTRLD: the current VMCS12 now
  std::optional<uint64_t> cleared;   // VMCLEAR: no longer current if it was
};
std::optional<VmxChange> vmx_change_of(const eventlog::Event& e);

}  // namespace nestrr::gdbstub::log_view
