// The recorded-state target (recorded_target.h).
#include "nestrr/gdbstub/recorded_target.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "log_view.h"

namespace nestrr::gdbstub {
namespace {

// A breakpoint this close after a function's start is at its entry (past
// the prologue, where gdb puts `break FUNCTION`): it stands for the whole
// function.
constexpr uint64_t kEntrySlack = 32;

const char* kind_name(EventKind k) {
  switch (k) {
    case EventKind::kVmExit: return "VM exit";
    case EventKind::kVmEntry: return "VM entry";
    case EventKind::kNmi: return "NMI";
    case EventKind::kNmiSent: return "NMI sent";
    case EventKind::kFlush: return "EPT flush";
    case EventKind::kModeChange: return "VMX mode change";
    case EventKind::kVmcs12: return "VMCS12 load or clear";
    case EventKind::kQuiesce: return "quiesce";
    case EventKind::kAssertion: return "assertion failure";
  }
  return "event";
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
  vmx_.resize(cpu_count_);

  std::optional<uint64_t> first_assertion;
  // Snapshots a CPU logs right after its assertion (the rest of its stack,
  // the failing VCPU) describe the state at the assertion: they count from
  // the assertion's position, so a debugger stopped there sees them.
  std::vector<std::optional<uint64_t>> failure_dump(cpu_count_);
  std::vector<VmxRecord> vmx_now(cpu_count_, VmxRecord{0, 0, ~uint64_t{0}});
  for (uint64_t i = 0; i < timeline_.order.size(); ++i) {
    const eventlog::Event& e = event_at(i);
    if (e.cpu >= cpu_count_) continue;
    const bool assertion = log_view::is_assertion(e);
    if (!log_view::is_memory(e)) failure_dump[e.cpu] = assertion ? std::optional(i) : std::nullopt;
    if (assertion && !first_assertion) first_assertion = i;
    if (auto r = log_view::registers_of(e)) registers_[e.cpu].push_back({i, r->regs, r->what});
    if (auto m = log_view::memory_of(e))
      memory_.push_back({log_view::is_memory(e) ? failure_dump[e.cpu].value_or(i) : i, m->address, m->bytes});
    if (auto v = log_view::vmx_change_of(e)) {
      VmxRecord& now = vmx_now[e.cpu];
      if (v->mode) now.mode = *v->mode;
      if (v->loaded) now.vmcs12 = *v->loaded;
      if (v->cleared && *v->cleared == now.vmcs12) now.vmcs12 = ~uint64_t{0};
      now.index = i;
      vmx_[e.cpu].push_back(now);
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
  CpuRegisters out = r ? r->regs : CpuRegisters{};
  // The VMX state the log recorded for the CPU up to here, if it recorded any.
  if (cpu < vmx_.size()) {
    const auto& v = vmx_[cpu];
    auto it = std::upper_bound(v.begin(), v.end(), pos_, [](uint64_t p, const VmxRecord& x) { return p < x.index; });
    if (it != v.begin()) {
      const VmxRecord& now = *std::prev(it);
      out.value[kVmxMode] = now.mode;
      out.value[kVmxOperation] = now.mode != 0;
      out.value[kVmxRoot] = now.mode == 1;
      out.value[kVmcs12] = now.vmcs12;
    }
  }
  return out;
}

std::optional<std::string> RecordedTarget::logged_bytes(uint64_t position, uint64_t addr, uint64_t len) const {
  for (auto it = memory_.rbegin(); it != memory_.rend(); ++it) {
    if (it->index > position) continue;
    const std::string& b = *it->bytes;
    if (addr < it->address || addr - it->address >= b.size()) continue;
    const uint64_t at = addr - it->address;
    if (b.size() - at < len) return std::nullopt;
    return b.substr(at, len);
  }
  return std::nullopt;
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
  Site site{addr, addr, addr + 1, {}, 0};
  if (symbolizer_) {
    const symbolize::AddrInfo& info = symbolizer_->lookup(addr);
    if (info.symbol_size) {
      site.lo = info.symbol_start;
      site.hi = info.symbol_start + info.symbol_size;
      if (addr - info.symbol_start > kEntrySlack && info.loc.known()) {
        site.file = info.loc.file;
        site.line = static_cast<uint32_t>(info.loc.line);
      }
    }
  }
  remove_breakpoint(addr);
  breakpoints_.push_back(site);
  return true;
}

void RecordedTarget::remove_breakpoint(uint64_t addr) {
  std::erase_if(breakpoints_, [&](const Site& b) { return b.addr == addr; });
}

bool RecordedTarget::insert_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) {
  // The log shows values, not accesses: only writes can be seen, as a
  // change between two logged values.
  if (kind != WatchKind::kWrite || len == 0 || len > 4096) return false;
  remove_watchpoint(kind, addr, len);
  watches_.push_back({addr, len});
  return true;
}

bool RecordedTarget::remove_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) {
  if (kind != WatchKind::kWrite) return false;
  std::erase_if(watches_, [&](const Watch& w) { return w.addr == addr && w.len == len; });
  return true;
}

bool RecordedTarget::hits_breakpoint(uint64_t position) const {
  if (breakpoints_.empty()) return false;
  const eventlog::Event& e = event_at(position);
  auto pc = log_view::code_address(e);
  if (!pc) return false;
  // Frame pcs: the logged one, then the calls the return addresses follow.
  std::vector<uint64_t> frames{*pc};
  for (uint64_t ra : log_view::return_addresses(e))
    if (ra) frames.push_back(ra - 1);
  for (const Site& b : breakpoints_)
    for (uint64_t f : frames) {
      if (f < b.lo || f >= b.hi) continue;
      if (b.line == 0 || f == b.addr) return true;
      const symbolize::AddrInfo& info = symbolizer_->lookup(f);
      if (info.loc.line == static_cast<int>(b.line) && info.loc.file == b.file) return true;
    }
  return false;
}

std::optional<uint64_t> RecordedTarget::watch_change_at(uint64_t position) const {
  if (watches_.empty() || position == 0) return std::nullopt;
  const eventlog::Event& e = event_at(position);
  if (!log_view::memory_of(e)) return std::nullopt;
  for (const Watch& w : watches_) {
    auto now = logged_bytes(position, w.addr, w.len);
    auto before = logged_bytes(position - 1, w.addr, w.len);
    if (now && before && *now != *before) return w.addr;
  }
  return std::nullopt;
}

Stop RecordedTarget::resume(const ResumeRequest& req) {
  const bool fwd = req.direction == Direction::kForward;
  const uint64_t n = timeline_.order.size();
  auto stop = [&](uint64_t p, Stop::Why why) {
    pos_ = p;
    last_stop_ = Stop{};
    last_stop_ = current_stop();
    last_stop_.why = why;
    return last_stop_;
  };
  uint64_t p = pos_, polled = 0;
  for (;;) {
    if (fwd ? p + 1 >= n : p == 0) {
      // A step that finds no further event of its CPU stays where it is.
      return stop(req.mode == ResumeMode::kContinue ? p : pos_,
                  fwd ? Stop::Why::kHistoryEnd : Stop::Why::kHistoryBegin);
    }
    const uint64_t from = p;
    p = fwd ? p + 1 : p - 1;
    if (req.mode == ResumeMode::kStep) {
      if (!req.cpu || event_at(p).cpu == *req.cpu) return stop(p, Stop::Why::kStep);
    } else {
      // A watched value changes at an event: forward, stop there;
      // backward, just before it (gdb then sees the value it had).
      const uint64_t change = fwd ? p : from;
      if (auto addr = watch_change_at(change)) {
        stop(fwd ? p : from - 1, Stop::Why::kWatchpoint);
        last_stop_.watch_addr = *addr;
        return last_stop_;
      }
      if (hits_breakpoint(p)) return stop(p, Stop::Why::kBreakpoint);
      if (fwd && log_view::is_assertion(event_at(p))) {
        stop(p, Stop::Why::kStep);
        last_stop_.assertion = true;
        return last_stop_;
      }
    }
    if (req.interrupted && ++polled % 4096 == 0 && req.interrupted()) return stop(p, Stop::Why::kInterrupted);
  }
}

Stop RecordedTarget::current_stop() {
  Stop s = last_stop_;
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
  last_stop_ = Stop{};
  last_stop_ = current_stop();
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

std::optional<uint64_t> RecordedTarget::find_event(EventKind kind, std::optional<uint32_t> cpu, Direction dir,
                                                   std::string& what) {
  const uint64_t n = timeline_.order.size();
  for (uint64_t p = pos_;;) {
    if (dir == Direction::kForward ? p + 1 >= n : p == 0) break;
    p = dir == Direction::kForward ? p + 1 : p - 1;
    const eventlog::Event& e = event_at(p);
    if ((cpu && e.cpu != *cpu) || log_view::kind_of(e) != kind) continue;
    what = describe(p);
    return p;
  }
  what = fmt::format("no {} {}{} in the log", dir == Direction::kForward ? "later" : "earlier",
                     kind_name(kind), cpu ? fmt::format(" on cpu{}", *cpu) : std::string());
  return std::nullopt;
}

std::optional<uint64_t> RecordedTarget::executable_offset() {
  if (!symbolizer_ || symbolizer_->modules().empty()) return std::nullopt;
  return symbolizer_->modules().modules().front().load_bias;
}

}  // namespace nestrr::gdbstub
