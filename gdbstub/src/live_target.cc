// The live-replay target (live_target.h): threads, registers, memory,
// breakpoint and watch bookkeeping, and how it describes where it stands.
// Moving in the history is live_motion.cc.
#include "nestrr/gdbstub/live_target.h"

#include <asm/prctl.h>
#include <fcntl.h>
#include <link.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "log_view.h"

namespace nestrr::gdbstub {
namespace {

// Frames that carry a vCPU to its parking place rather than do the core's
// work: the replay's own, the fiber switch, and the core's platform glue
// (the core names those itself). Skipped when deciding where a vCPU stands.
bool is_machinery_name(std::string_view fn) {
  if (fn.starts_with("nestrr::replay::") || fn == "jump_fcontext") return true;
  for (const char* const* g = core_platform_glue; *g; ++g)
    if (fn == *g) return true;
  return false;
}

bool read_self(uint64_t addr, void* out, size_t len) {
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  return ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

int main_program_bias(dl_phdr_info* info, size_t, void* out) {
  *static_cast<uint64_t*>(out) = info->dlpi_addr;  // the first object is the program
  return 1;
}

// What every fiber shares with the thread that runs them: its segment
// selectors and bases.
struct ThreadSegments {
  uint64_t cs = 0, ss = 0, ds = 0, es = 0, fs = 0, gs = 0, fs_base = 0, gs_base = 0;
  ThreadSegments() {
    uint16_t v;
    asm("mov %%cs, %0" : "=r"(v));
    cs = v;
    asm("mov %%ss, %0" : "=r"(v));
    ss = v;
    asm("mov %%ds, %0" : "=r"(v));
    ds = v;
    asm("mov %%es, %0" : "=r"(v));
    es = v;
    asm("mov %%fs, %0" : "=r"(v));
    fs = v;
    asm("mov %%gs, %0" : "=r"(v));
    gs = v;
    unsigned long base = 0;
    if (::syscall(SYS_arch_prctl, ARCH_GET_FS, &base) == 0) fs_base = base;
    if (::syscall(SYS_arch_prctl, ARCH_GET_GS, &base) == 0) gs_base = base;
  }
};

}  // namespace

std::optional<uint64_t> LiveTarget::executable_offset() {
  uint64_t bias = 0;
  dl_iterate_phdr(main_program_bias, &bias);
  return bias;
}

LiveTarget::LiveTarget(const eventlog::Log& log, std::optional<uint64_t> start)
    : replay_(log), start_(start) {
  logged_.resize(replay_.cpu_count());
  for (const auto& stream : log.streams) {
    if (stream.cpu >= logged_.size()) continue;
    auto& out = logged_[stream.cpu];
    out.reserve(stream.events.size());
    for (const auto& e : stream.events) out.push_back({e.seq, log_view::kind_of(e)});
  }
  if (replay::LiveReplay::can_trap_here()) {
    traps_ = &replay::FiberTraps::get();
    hardware_watches_ = traps_->hardware_watch_available();
    assert_entry_ = reinterpret_cast<uint64_t>(&core_assert_fail);
    if (!traps_->pausable(assert_entry_)) assert_entry_ = 0;
  }
}

LiveTarget::~LiveTarget() {
  if (traps_) {
    traps_->disarm();
    traps_->set_observer(nullptr);
  }
}

bool LiveTarget::machinery(uint64_t return_address) {
  auto it = machinery_.find(return_address);
  if (it != machinery_.end()) return it->second;
  bool m = is_machinery_name(symbols_.return_address(return_address).function);
  machinery_.emplace(return_address, m);
  return m;
}

uint64_t LiveTarget::position_pc(uint32_t cpu) {
  const ucontext_t* context = replay_.context(cpu);
  if (!context) return 0;
  const replay::StackBounds stack = replay_.stack(cpu);
  const greg_t* g = context->uc_mcontext.gregs;
  // The saved RIP is in the fiber switch itself (machinery); walk the
  // frame-pointer chain (the core and the replay keep frame pointers).
  uint64_t fp = static_cast<uint64_t>(g[REG_RBP]);
  for (int depth = 0; depth < 64 && stack.contains(fp, 16); ++depth) {
    uint64_t next, ret;
    std::memcpy(&next, reinterpret_cast<const void*>(fp), 8);
    std::memcpy(&ret, reinterpret_cast<const void*>(fp + 8), 8);
    if (ret == 0) break;
    if (!machinery(ret)) return ret;
    if (next <= fp) break;
    fp = next;
  }
  return 0;
}

std::string LiveTarget::where(uint64_t pc) const {
  if (pc == 0) return "outside the core";
  return replay::HostSymbolizer::describe(symbols_.return_address(pc));
}

std::string LiveTarget::thread_description(uint32_t cpu) {
  settle();
  replay::ParkedVcpu v = replay_.vcpu(cpu);
  std::string out = fmt::format("cpu{} {}", cpu, v.detail);
  if (replay_.paused_cpu() == cpu) {
    const replay::Symbol s = symbols_.code_address(
        static_cast<uint64_t>(replay_.context(cpu)->uc_mcontext.gregs[REG_RIP]));
    out += ", running in " + (s.function.empty() ? std::string("?") : s.function);
  } else if (v.context) {
    uint64_t pc = position_pc(cpu);
    if (pc) out += ", in " + symbols_.return_address(pc).function;
  }
  return out;
}

CpuRegisters LiveTarget::registers(uint32_t cpu) {
  settle();
  CpuRegisters r;
  replay::ParkedVcpu v = replay_.vcpu(cpu);
  const core_vcpu& vcpu = replay_.core_state().vcpu[cpu];
  r.value[kVmxOperation] = vcpu.is_vmx_operation;
  r.value[kVmxRoot] = vcpu.is_vmx_root_operation;
  r.value[kVmxMode] = vcpu.vmx_mode;
  r.value[kVmcs12] = vcpu.cur_vmcs12 < CORE_VMCS12_SLOTS ? vcpu.vmcs12[vcpu.cur_vmcs12].gpa
                                                          : CORE_NO_VMCS_POINTER;
  r.value[kInNmi] = v.in_nmi ? 1 : 0;
  if (!v.context) return r;
  static const ThreadSegments seg;
  r.value[kCs] = seg.cs;
  r.value[kSs] = seg.ss;
  r.value[kDs] = seg.ds;
  r.value[kEs] = seg.es;
  r.value[kFs] = seg.fs;
  r.value[kGs] = seg.gs;
  r.value[kFsBase] = seg.fs_base;
  r.value[kGsBase] = seg.gs_base;
  const greg_t* g = v.context->uc_mcontext.gregs;
  auto set = [&](Reg reg, int idx) { r.value[reg] = static_cast<uint64_t>(g[idx]); };
  // What the fiber switch saves: callee-saved registers, the argument
  // registers, RIP and RSP. A vCPU paused by a trap has them all.
  set(kRbx, REG_RBX);
  set(kRcx, REG_RCX);
  set(kRdx, REG_RDX);
  set(kRsi, REG_RSI);
  set(kRdi, REG_RDI);
  set(kRbp, REG_RBP);
  set(kRsp, REG_RSP);
  set(kR8, REG_R8);
  set(kR9, REG_R9);
  set(kR12, REG_R12);
  set(kR13, REG_R13);
  set(kR14, REG_R14);
  set(kR15, REG_R15);
  set(kRip, REG_RIP);
  if (replay_.paused_cpu() == cpu) {
    set(kRax, REG_RAX);
    set(kR10, REG_R10);
    set(kR11, REG_R11);
    // The trap flag is the debugger's, not the vCPU's.
    r.value[kEflags] = static_cast<uint64_t>(g[REG_EFL]) & ~uint64_t{0x100};
    const uint64_t csgsfs = static_cast<uint64_t>(g[REG_CSGSFS]);
    r.value[kCs] = csgsfs & 0xffff;
  }
  return r;
}

std::string LiveTarget::read_memory(uint64_t addr, size_t len) {
  settle();
  std::string out(len, '\0');
  if (!read_self(addr, out.data(), len)) {
    // Partly readable: the readable prefix, page by page.
    size_t got = 0;
    while (got < len) {
      uint64_t a = addr + got;
      size_t chunk = std::min<size_t>(len - got, 4096 - (a & 4095));
      if (!read_self(a, out.data() + got, chunk)) break;
      got += chunk;
    }
    out.resize(got);
  }
  if (traps_) traps_->original_bytes(addr, out);
  return out;
}

bool LiveTarget::insert_breakpoint(uint64_t addr) {
  if (!traps_ || !traps_->pausable(addr)) return false;
  if (std::find(breakpoints_.begin(), breakpoints_.end(), addr) == breakpoints_.end()) {
    breakpoints_.push_back(addr);
    if (spot_.inside) counts_known_ = false;
  }
  return true;
}

void LiveTarget::remove_breakpoint(uint64_t addr) { std::erase(breakpoints_, addr); }

namespace {
// A watched range as debug-register pieces: 1, 2, 4 or 8 bytes, aligned.
std::vector<replay::WatchSpec> pieces(uint64_t addr, uint64_t len, replay::WatchType type) {
  std::vector<replay::WatchSpec> out;
  while (len > 0 && out.size() <= 4) {
    uint64_t size = 8;
    while (size > 1 && (addr % size || size > len)) size /= 2;
    out.push_back({addr, size, type});
    addr += size;
    len -= size;
  }
  return out;
}
replay::WatchType watch_type(WatchKind k) {
  return k == WatchKind::kWrite ? replay::WatchType::kWrite
         : k == WatchKind::kRead ? replay::WatchType::kRead
                                 : replay::WatchType::kAccess;
}
}  // namespace

void LiveTarget::apply_watches() {
  hw_watches_.clear();
  for (const Watch& w : watches_)
    for (const auto& p : pieces(w.addr, w.len, watch_type(w.kind))) hw_watches_.push_back(p);
}

bool LiveTarget::insert_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) {
  if (len == 0 || len > 4096) return false;
  if (hardware_watches_) {
    std::vector<Watch> next = watches_;
    std::erase_if(next, [&](const Watch& w) { return w.kind == kind && w.addr == addr && w.len == len; });
    next.push_back({kind, addr, len});
    size_t n = 0;
    for (const Watch& w : next) n += pieces(w.addr, w.len, watch_type(w.kind)).size();
    if (n > 4) return false;  // four debug registers
    // Check now that the kernel gives them (set back at the next run).
    std::vector<replay::WatchSpec> specs;
    for (const Watch& w : next)
      for (const auto& p : pieces(w.addr, w.len, watch_type(w.kind))) specs.push_back(p);
    if (!traps_->set_watches(specs)) return false;
    watches_ = std::move(next);
    apply_watches();
    if (spot_.inside) counts_known_ = false;
    return true;
  }
  // Without debug registers: writes only, by comparing values after every
  // step (the machine stays at its addresses however the replay goes back).
  if (kind != WatchKind::kWrite) return false;
  remove_watchpoint(kind, addr, len);
  watches_.push_back({kind, addr, len});
  return true;
}

bool LiveTarget::remove_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) {
  if (!hardware_watches_ && kind != WatchKind::kWrite) return false;
  std::erase_if(watches_, [&](const Watch& w) { return w.kind == kind && w.addr == addr && w.len == len; });
  apply_watches();
  return true;
}

uint64_t LiveTarget::position() {
  settle();
  return spot_.step;
}

uint64_t LiveTarget::history_length() {
  settle();
  return step_cpu_.size() + 1;
}

std::string LiveTarget::describe(uint64_t position) {
  settle();
  if (position == 0) return "step 0: before any vCPU ran";
  if (position > step_cpu_.size()) return fmt::format("step {}: past the end", position);
  return fmt::format("step {}: cpu{} parked at {}", position, step_cpu_[position - 1],
                     where(step_pc_[position - 1]));
}

std::string LiveTarget::spot_text() const {
  if (!spot_.inside) return {};
  const Anchor& a = *spot_.inside;
  std::string what = a.kind == Anchor::Kind::kCode
                         ? fmt::format("run {} of {}", a.count,
                                       replay::HostSymbolizer::describe(symbols_.code_address(a.addr)))
                         : fmt::format("after access {} to {:#x}", a.count, a.watch.addr);
  if (a.then_steps) what += fmt::format(", then {} instructions", a.then_steps);
  auto cpu = replay_.paused_cpu();
  return fmt::format("; inside step {} (cpu{}: {})", spot_.step + 1, cpu ? *cpu : 0, what);
}

std::string LiveTarget::when() {
  settle();
  std::string out = fmt::format("step {} of {}; {} records of the log re-executed and checked",
                                spot_.step, step_cpu_.size(), replay_.records_checked());
  out += spot_text();
  if (!end_known_) out += "; the replay's end is not reached yet (continue finds it)";
  if (replay_.divergence()) out += "; the replay diverged: " + replay_.divergence()->message();
  return out;
}

std::string LiveTarget::cpu_report(uint32_t cpu) {
  settle();
  replay::ParkedVcpu v = replay_.vcpu(cpu);
  std::string out = fmt::format("cpu{}: {}\n  progress {} (yield points passed), {} of its records replayed",
                                cpu, v.detail, v.progress, v.records_checked);
  if (v.context) out += "\n  in the core at " + where(position_pc(cpu));
  return out;
}

std::optional<uint64_t> LiveTarget::find_event(EventKind kind, std::optional<uint32_t> cpu, Direction dir,
                                               std::string& what) {
  settle();
  static const char* const names[] = {"VM exit", "VM entry", "NMI", "NMI sent", "EPT flush",
                                      "VMX mode change", "VMCS12 load or clear", "quiesce",
                                      "assertion failure"};
  const char* name = names[static_cast<int>(kind)];
  const bool fwd = dir == Direction::kForward;
  std::optional<uint64_t> best;
  for (uint32_t c = 0; c < cpu_count(); ++c) {
    if (cpu && c != *cpu) continue;
    auto kind_at = [&](uint64_t index) -> std::optional<EventKind> {
      const uint64_t seq = replay_.record_seq(c, index);
      const auto& v = logged_[c];
      auto it = std::lower_bound(v.begin(), v.end(), seq, [](const LoggedEvent& e, uint64_t s) { return e.seq < s; });
      return it != v.end() && it->seq == seq ? it->kind : std::nullopt;
    };
    // The record: the CPU's next one of that kind from here, or its last before.
    const uint64_t next = replay_.records_checked(c), count = replay_.record_count(c);
    std::optional<uint64_t> record;
    if (fwd) {
      for (uint64_t r = next; r < count && !record; ++r)
        if (kind_at(r) == kind) record = r;
    } else {
      for (uint64_t r = next; r-- > 0 && !record;)
        if (kind_at(r) == kind) record = r;
    }
    if (!record) continue;
    // The step that checked it: the first of the CPU's steps after which
    // more records than that were checked (the one we are inside of, too).
    std::optional<uint64_t> step;
    const uint64_t lo = fwd ? spot_.step + 1 : 1;
    const uint64_t hi = fwd ? step_cpu_.size() : std::min<uint64_t>(step_cpu_.size(), spot_.step + 1);
    for (uint64_t s = lo; s <= hi && !step; ++s)
      if (step_cpu_[s - 1] == c && step_records_[s - 1] > *record) step = s;
    if (!fwd && !step && spot_.inside && replay_.paused_cpu() == c) step = spot_.step + 1;
    // Forward: just after the step that logs it; backward: just before.
    if (step && !fwd) *step -= 1;
    if (!best || (fwd ? *step < *best : *step > *best)) {
      best = step;
      what = fmt::format("cpu{} {} (record seq {}): {} step {}", c, name, replay_.record_seq(c, *record),
                         "logged by", fwd ? *step : *step + 1);
    }
  }
  if (!best && what.empty())
    what = fmt::format("no {} {}{} in the log", fwd ? "later" : "earlier", name,
                       cpu ? fmt::format(" on cpu{}", *cpu) : std::string());
  return best;
}

std::optional<std::string> LiveTarget::own_auxv() {
  int fd = ::open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace nestrr::gdbstub
