// StackSnapshot from records, and reads from its stack window.
#include "nestrr/symbolize/snapshot.h"

#include <cstring>
#include <fmt/format.h>

namespace nestrr::symbolize {

std::optional<StackSnapshot> StackSnapshot::from_record(const nestrr::v1::Record& record) {
  StackSnapshot s;
  if (record.has_assertion_failure()) {
    const auto& a = record.assertion_failure();
    s.kind = "assertion";
    s.what = fmt::format("assertion failed: {} ({}:{})", a.condition(), a.file(), a.line());
    s.has_registers = a.has_registers();
    s.registers = a.registers();
    s.pc = a.has_registers() && a.registers().rip() ? a.registers().rip() : a.rip();
    s.pc_is_return_address = true;
    s.return_addresses.assign(a.return_address().begin(), a.return_address().end());
    s.stack_address = a.stack_address();
    s.stack = a.stack();
    return s;
  }
  if (record.has_nmi_received()) {
    s.kind = "nmi";
    s.what = "NMI interrupted here";
    s.pc = record.nmi_received().interrupted_rip();
    s.pc_is_return_address = false;
    return s;
  }
  return std::nullopt;
}

std::optional<StackSnapshot> StackSnapshot::from_log(const eventlog::Log& log, eventlog::EventRef ref) {
  std::optional<StackSnapshot> s = from_record(log.at(ref).record);
  if (!s || s->stack.empty()) return s;
  const auto& events = log.streams[ref.stream].events;
  for (size_t i = ref.index + 1; i < events.size() && events[i].record.has_memory_snapshot(); i++) {
    const auto& m = events[i].record.memory_snapshot();
    if (m.address() == s->stack_end()) s->stack += m.data();
  }
  return s;
}

bool StackSnapshot::read_stack(uint64_t address, uint64_t& out) const {
  if (address < stack_address || address - stack_address > stack.size() ||
      stack.size() - (address - stack_address) < 8)
    return false;
  unsigned char b[8];
  std::memcpy(b, stack.data() + (address - stack_address), 8);
  out = 0;
  for (int i = 7; i >= 0; i--) out = (out << 8) | b[i];
  return true;
}

std::string StackSnapshot::window() const {
  if (stack.empty()) return "none";
  return fmt::format("[{:#x}, {:#x})", stack_address, stack_end());
}

const char* method_name(UnwindMethod m) {
  switch (m) {
    case UnwindMethod::kRegisters: return "registers";
    case UnwindMethod::kCfi: return "cfi";
    case UnwindMethod::kFramePointer: return "fp";
    case UnwindMethod::kRecorded: return "recorded";
  }
  return "?";
}

}  // namespace nestrr::symbolize
