// Reading the gdbstub's few facts out of logged records (log_view.h).
#include "log_view.h"

#include <fmt/format.h>

namespace nestrr::gdbstub::log_view {
namespace {

using R = nestrr::v1::Record;

CpuRegisters from_proto(const nestrr::v1::Registers& r, uint64_t fallback_rip) {
  CpuRegisters out;
  const uint64_t v[] = {r.rax(), r.rbx(), r.rcx(), r.rdx(), r.rsi(), r.rdi(), r.rbp(), r.rsp(),
                        r.r8(),  r.r9(),  r.r10(), r.r11(), r.r12(), r.r13(), r.r14(), r.r15()};
  for (int i = 0; i < 16; ++i) out.value[static_cast<size_t>(i)] = v[i];
  out.value[kRip] = r.rip() ? r.rip() : fallback_rip;
  out.value[kEflags] = r.rflags();
  if (r.cs()) out.value[kCs] = r.cs();
  if (r.ss()) out.value[kSs] = r.ss();
  if (r.cr0()) out.value[kCr0] = r.cr0();
  if (r.cr3()) out.value[kCr3] = r.cr3();
  if (r.cr4()) out.value[kCr4] = r.cr4();
  // The data selectors, when the logger wrote them (logs before ABI 7 did
  // not; all four null reads as not logged). The rest only where ring 0
  // could read it.
  if (r.ds() || r.es() || r.fs() || r.gs()) {
    out.value[kDs] = r.ds();
    out.value[kEs] = r.es();
    out.value[kFs] = r.fs();
    out.value[kGs] = r.gs();
  }
  if (r.fs_base()) out.value[kFsBase] = r.fs_base();
  if (r.gs_base()) out.value[kGsBase] = r.gs_base();
  if (r.cr2()) out.value[kCr2] = r.cr2();
  if (r.efer()) out.value[kEfer] = r.efer();
  return out;
}

}  // namespace

std::optional<EventKind> kind_of(const eventlog::Event& e) {
  switch (e.record.event_case()) {
    case R::kVmExit: return EventKind::kVmExit;
    case R::kVmEntry: return EventKind::kVmEntry;
    case R::kNmiReceived: return EventKind::kNmi;
    case R::kNmiSent: return EventKind::kNmiSent;
    case R::kEptFlush: return EventKind::kFlush;
    case R::kVmxModeChange: return EventKind::kModeChange;
    case R::kVmcs12Load:
    case R::kVmcs12Clear: return EventKind::kVmcs12;
    case R::kQuiesceBegin:
    case R::kQuiesceEnd: return EventKind::kQuiesce;
    case R::kAssertionFailure: return EventKind::kAssertion;
    default: return std::nullopt;
  }
}

bool is_assertion(const eventlog::Event& e) { return e.record.has_assertion_failure(); }
bool is_memory(const eventlog::Event& e) { return e.record.has_memory_snapshot(); }

std::optional<LoggedRegisters> registers_of(const eventlog::Event& e) {
  const auto& r = e.record;
  if (r.has_assertion_failure()) {
    const auto& a = r.assertion_failure();
    LoggedRegisters out;
    if (a.has_registers())
      out.regs = from_proto(a.registers(), a.rip());
    else
      out.regs.value[kRip] = a.rip();
    out.what = fmt::format("assertion failed: {} ({}:{})", a.condition(), a.file(), a.line());
    return out;
  }
  if (r.has_nmi_received()) {
    LoggedRegisters out;
    out.regs.value[kRip] = r.nmi_received().interrupted_rip();
    out.what = "NMI interrupted here";
    return out;
  }
  return std::nullopt;
}

std::optional<LoggedMemory> memory_of(const eventlog::Event& e) {
  const auto& r = e.record;
  if (r.has_assertion_failure() && !r.assertion_failure().stack().empty())
    return LoggedMemory{r.assertion_failure().stack_address(), &r.assertion_failure().stack()};
  if (r.has_memory_snapshot() && !r.memory_snapshot().data().empty())
    return LoggedMemory{r.memory_snapshot().address(), &r.memory_snapshot().data()};
  return std::nullopt;
}

std::optional<uint64_t> code_address(const eventlog::Event& e) {
  const auto& r = e.record;
  if (r.has_assertion_failure()) {
    const auto& a = r.assertion_failure();
    return a.has_registers() && a.registers().rip() ? a.registers().rip() : a.rip();
  }
  if (r.has_nmi_received()) return r.nmi_received().interrupted_rip();
  return std::nullopt;
}

std::vector<uint64_t> return_addresses(const eventlog::Event& e) {
  if (!e.record.has_assertion_failure()) return {};
  const auto& ra = e.record.assertion_failure().return_address();
  return {ra.begin(), ra.end()};
}

std::optional<VmxChange> vmx_change_of(const eventlog::Event& e) {
  const auto& r = e.record;
  if (r.has_vmx_mode_change()) return VmxChange{static_cast<uint32_t>(r.vmx_mode_change().new_mode()), {}, {}};
  if (r.has_vmcs12_load()) return VmxChange{{}, r.vmcs12_load().vmcs12_gpa(), {}};
  if (r.has_vmcs12_clear()) return VmxChange{{}, {}, r.vmcs12_clear().vmcs12_gpa()};
  return std::nullopt;
}

}  // namespace nestrr::gdbstub::log_view
