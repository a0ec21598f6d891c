// The recorded-state target (recorded_target.h).
#include "nestrr/gdbstub/recorded_target.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace nestrr::gdbstub {
namespace {

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
  return out;
}

}  // namespace

RecordedTarget::RecordedTarget(eventlog::Log log, std::unique_ptr<symbolize::Symbolizer> symbolizer,
                               std::optional<uint64_t> start)
    : log_(std::move(log)), symbolizer_(std::move(symbolizer)) {
  timeline_ = eventlog::merge(log_);
  time_base_ = eventlog::time_base(log_);
  if (timeline_.order.empty()) throw std::invalid_argument("the log has no events");
  if (log_.header && log_.header->address_bits() == 32) arch_ = Arch::kI386;
  cpu_count_ = log_.header && log_.header->cpu_count() ? log_.header->cpu_count() : 0;
  for (const auto& s : log_.streams) cpu_count_ = std::max(cpu_count_, s.cpu + 1);
  registers_.resize(cpu_count_);

  std::optional<uint64_t> first_assertion;
  // Snapshots a CPU logs right after its assertion (the rest of its stack,
  // the failing VCPU) describe the state at the assertion: they count from
  // the assertion's position, so a debugger stopped there sees them.
  std::vector<std::optional<uint64_t>> failure_dump(cpu_count_);
  for (uint64_t i = 0; i < timeline_.order.size(); ++i) {
    const eventlog::Event& e = event_at(i);
    if (e.cpu >= cpu_count_) continue;
    const auto& r = e.record;
    if (!r.has_memory_snapshot()) failure_dump[e.cpu] = r.has_assertion_failure() ? std::optional(i) : std::nullopt;
    if (r.has_assertion_failure()) {
      const auto& a = r.assertion_failure();
      if (!first_assertion) first_assertion = i;
      CpuRegisters regs;
      if (a.has_registers()) {
        regs = from_proto(a.registers(), a.rip());
      } else {
        regs.value[kRip] = a.rip();
      }
      registers_[e.cpu].push_back(
          {i, regs, fmt::format("assertion failed: {} ({}:{})", a.condition(), a.file(), a.line())});
      if (!a.stack().empty()) memory_.push_back({i, a.stack_address(), &a.stack()});
    } else if (r.has_nmi_received()) {
      CpuRegisters regs;
      regs.value[kRip] = r.nmi_received().interrupted_rip();
      registers_[e.cpu].push_back({i, regs, "NMI interrupted here"});
    } else if (r.has_memory_snapshot()) {
      const auto& m = r.memory_snapshot();
      if (!m.data().empty()) memory_.push_back({failure_dump[e.cpu].value_or(i), m.address(), &m.data()});
    }
  }
  if (start && *start >= timeline_.order.size())
    throw std::invalid_argument(fmt::format("no event {}: the log has {} events", *start,
                                            timeline_.order.size()));
  pos_ = start ? *start : first_assertion ? *first_assertion : timeline_.order.size() - 1;
}

const eventlog::Event& RecordedTarget::event_at(uint64_t position) const {
  return log_.at(timeline_.order[position]);
}

const RecordedTarget::RegisterRecord* RecordedTarget::latest_registers(uint32_t cpu) const {
  if (cpu >= registers_.size()) return nullptr;
  const auto& v = registers_[cpu];
  auto it = std::upper_bound(v.begin(), v.end(), pos_,
                             [](uint64_t p, const RegisterRecord& r) { return p < r.index; });
  if (it == v.begin()) return nullptr;
  return &*std::prev(it);
}

std::string RecordedTarget::thread_description(uint32_t cpu) {
  const RegisterRecord* r = latest_registers(cpu);
  if (!r) return fmt::format("cpu{}: no registers recorded yet", cpu);
  return fmt::format("cpu{}: {} (event {})", cpu, r->what, r->index);
}

CpuRegisters RecordedTarget::registers(uint32_t cpu) {
  const RegisterRecord* r = latest_registers(cpu);
  return r ? r->regs : CpuRegisters{};
}

std::string RecordedTarget::read_memory(uint64_t addr, size_t len) {
  // The latest snapshot at or before here that covers addr.
  for (auto it = memory_.rbegin(); it != memory_.rend(); ++it) {
    if (it->index > pos_) continue;
    const std::string& b = *it->bytes;
    if (addr < it->address || addr - it->address >= b.size()) continue;
    uint64_t at = addr - it->address;
    return b.substr(at, std::min<uint64_t>(len, b.size() - at));
  }
  if (symbolizer_) return symbolizer_->read_image(addr, len);
  return {};
}

bool RecordedTarget::insert_breakpoint(uint64_t addr) {
  Range range{addr, addr + 1};
  if (symbolizer_) {
    const symbolize::AddrInfo& info = symbolizer_->lookup(addr);
    if (info.symbol_size) range = {info.symbol_start, info.symbol_start + info.symbol_size};
  }
  remove_breakpoint(addr);
  breakpoints_.push_back({addr, range});
  return true;
}

void RecordedTarget::remove_breakpoint(uint64_t addr) {
  std::erase_if(breakpoints_, [&](const auto& b) { return b.first == addr; });
}

std::optional<uint64_t> RecordedTarget::event_address(uint64_t position) const {
  const auto& r = event_at(position).record;
  if (r.has_assertion_failure()) {
    const auto& a = r.assertion_failure();
    return a.has_registers() && a.registers().rip() ? a.registers().rip() : a.rip();
  }
  if (r.has_nmi_received()) return r.nmi_received().interrupted_rip();
  return std::nullopt;
}

bool RecordedTarget::hits_breakpoint(uint64_t position) const {
  auto addr = event_address(position);
  if (!addr) return false;
  return std::any_of(breakpoints_.begin(), breakpoints_.end(), [&](const auto& b) {
    return *addr >= b.second.lo && *addr < b.second.hi;
  });
}

Stop RecordedTarget::resume(const ResumeRequest& req) {
  const bool fwd = req.direction == Direction::kForward;
  const uint64_t n = timeline_.order.size();
  auto next = [&](uint64_t p, uint64_t& out) {
    if (fwd ? p + 1 >= n : p == 0) return false;
    out = fwd ? p + 1 : p - 1;
    return true;
  };
  uint64_t p = pos_, q = 0, polled = 0;
  for (;;) {
    if (!next(p, q)) {
      last_why_ = fwd ? Stop::Why::kHistoryEnd : Stop::Why::kHistoryBegin;
      // A step that finds no further event of its CPU stays where it is.
      if (req.mode == ResumeMode::kContinue) pos_ = p;
      return current_stop();
    }
    p = q;
    if (req.mode == ResumeMode::kStep) {
      if (!req.cpu || event_at(p).cpu == *req.cpu) {
        pos_ = p;
        last_why_ = Stop::Why::kStep;
        return current_stop();
      }
    } else if (hits_breakpoint(p)) {
      pos_ = p;
      last_why_ = Stop::Why::kBreakpoint;
      return current_stop();
    }
    if (req.interrupted && ++polled % 4096 == 0 && req.interrupted()) {
      pos_ = p;
      last_why_ = Stop::Why::kInterrupted;
      return current_stop();
    }
  }
}

Stop RecordedTarget::current_stop() {
  Stop s;
  s.why = last_why_;
  uint32_t cpu = event_at(pos_).cpu;
  s.cpu = cpu < cpu_count_ ? cpu : 0;
  return s;
}

bool RecordedTarget::seek(uint64_t position, std::string& why) {
  if (position >= timeline_.order.size()) {
    why = fmt::format("the log has {} events", timeline_.order.size());
    return false;
  }
  pos_ = position;
  last_why_ = Stop::Why::kStep;
  return true;
}

std::string RecordedTarget::describe(uint64_t position) {
  if (position >= timeline_.order.size()) return fmt::format("{}: past the end", position);
  std::string line = eventlog::format_event(event_at(position), time_base_);
  size_t start = line.find_first_not_of(' ');
  return fmt::format("event {}: {}", position, start == std::string::npos ? line : line.substr(start));
}

std::string RecordedTarget::when() {
  const eventlog::Event& e = event_at(pos_);
  return fmt::format("event {} of {} (cpu{} #{}, {:.3f}us since the first event)", pos_,
                     timeline_.order.size(), e.cpu, e.seq, eventlog::relative_us(e.tsc, time_base_));
}

std::string RecordedTarget::cpu_report(uint32_t cpu) {
  std::string out = thread_description(cpu);
  const RegisterRecord* r = latest_registers(cpu);
  if (r && r->regs.value[kRip]) {
    out += fmt::format("\n  pc {:#x}", *r->regs.value[kRip]);
    if (symbolizer_) {
      const symbolize::AddrInfo& info = symbolizer_->lookup(*r->regs.value[kRip]);
      if (!info.symbol.empty()) out += " in " + info.function_offset();
      if (info.loc.known()) out += " at " + symbolize::format_loc(info.loc);
    }
  }
  // This CPU's last event at or before here.
  for (uint64_t i = pos_ + 1; i-- > 0;)
    if (event_at(i).cpu == cpu) {
      out += "\n  last event: " + describe(i);
      break;
    }
  return out;
}

std::optional<uint64_t> RecordedTarget::executable_offset() {
  if (!symbolizer_ || symbolizer_->modules().empty()) return std::nullopt;
  return symbolizer_->modules().modules().front().load_bias;
}

}  // namespace nestrr::gdbstub
