// The live-replay target (live_target.h).
#include "nestrr/gdbstub/live_target.h"

#include <fcntl.h>
#include <link.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

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

}  // namespace

std::optional<uint64_t> LiveTarget::executable_offset() {
  uint64_t bias = 0;
  dl_iterate_phdr(main_program_bias, &bias);
  return bias;
}

LiveTarget::LiveTarget(const eventlog::Log& log, std::optional<uint64_t> start)
    : replay_(log), start_(start) {}

void LiveTarget::first_pass() {
  if (passed_) return;
  passed_ = true;  // the calls below (seek) must not come back here
  auto t0 = std::chrono::steady_clock::now();
  auto next_report = t0 + std::chrono::seconds(1);
  while (step_forward()) {
    if ((replay_.steps() & 0xffff) == 0 && std::chrono::steady_clock::now() >= next_report) {
      spdlog::info("live replay, first pass: {} steps, {} records of the log checked",
                   replay_.steps(), replay_.records_checked());
      next_report += std::chrono::seconds(1);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("live replay, first pass done: {} steps, {} records checked, {:.2f} s",
               replay_.steps(), replay_.records_checked(), secs);
  if (start_) {
    std::string why;
    if (!seek(*start_, why)) throw std::invalid_argument(why);
  }
  last_why_ = Stop::Why::kStep;
}

bool LiveTarget::step_forward() {
  if (!replay_.step()) return false;
  uint64_t n = replay_.steps();
  if (n > step_cpu_.size()) {
    uint32_t cpu = *replay_.last_cpu();
    step_cpu_.push_back(cpu);
    step_pc_.push_back(position_pc(cpu));
  }
  return true;
}

void LiveTarget::go_to(uint64_t step) {
  if (step < replay_.steps()) {
    replay_.seek(step);  // from the nearest checkpoint before it
    reexecutions_++;
  }
  while (replay_.steps() < step && step_forward()) {
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

bool LiveTarget::hits(uint64_t pc) const {
  if (pc == 0) return false;
  // pc is a return address: the call it follows is at pc - 1.
  return std::any_of(breakpoints_.begin(), breakpoints_.end(), [&](const auto& b) {
    return pc - 1 >= b.second.first && pc - 1 < b.second.second;
  });
}

std::string LiveTarget::where(uint64_t pc) const {
  if (pc == 0) return "outside the core";
  return replay::HostSymbolizer::describe(symbols_.return_address(pc));
}

std::string LiveTarget::thread_description(uint32_t cpu) {
  first_pass();
  replay::ParkedVcpu v = replay_.vcpu(cpu);
  std::string out = fmt::format("cpu{} {}", cpu, v.detail);
  if (v.context) {
    uint64_t pc = position_pc(cpu);
    if (pc) out += ", in " + symbols_.return_address(pc).function;
  }
  return out;
}

CpuRegisters LiveTarget::registers(uint32_t cpu) {
  first_pass();
  CpuRegisters r;
  replay::ParkedVcpu v = replay_.vcpu(cpu);
  if (!v.context) return r;
  const greg_t* g = v.context->uc_mcontext.gregs;
  auto set = [&](Reg reg, int idx) { r.value[reg] = static_cast<uint64_t>(g[idx]); };
  // What the fiber switch saves: callee-saved registers, the argument
  // registers, RIP and RSP. RAX, R10, R11 and the flags are not kept.
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
  return r;
}

std::string LiveTarget::read_memory(uint64_t addr, size_t len) {
  first_pass();
  std::string out(len, '\0');
  if (read_self(addr, out.data(), len)) return out;
  // Partly readable: the readable prefix, page by page.
  size_t got = 0;
  while (got < len) {
    uint64_t a = addr + got;
    size_t chunk = std::min<size_t>(len - got, 4096 - (a & 4095));
    if (!read_self(a, out.data() + got, chunk)) break;
    got += chunk;
  }
  out.resize(got);
  return out;
}

void LiveTarget::insert_breakpoint(uint64_t addr) {
  remove_breakpoint(addr);
  auto range = symbols_.function_range(addr);
  breakpoints_.push_back({addr, range ? *range : std::make_pair(addr, addr + 1)});
}

void LiveTarget::remove_breakpoint(uint64_t addr) {
  std::erase_if(breakpoints_, [&](const auto& b) { return b.first == addr; });
}

bool LiveTarget::insert_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) {
  // Without checkpoints (sanitizer builds) going back rebuilds the
  // machine elsewhere: an address would not name the same object.
  if (kind != WatchKind::kWrite || len > 4096 || !replay::LiveReplay::can_checkpoint_here()) return false;
  remove_watchpoint(kind, addr, len);
  watches_.push_back({addr, len});
  return true;
}

bool LiveTarget::remove_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) {
  if (kind != WatchKind::kWrite) return false;
  std::erase_if(watches_, [&](const Watch& w) { return w.addr == addr && w.len == len; });
  return true;
}

std::vector<std::string> LiveTarget::watched_now() {
  std::vector<std::string> out;
  out.reserve(watches_.size());
  for (const Watch& w : watches_) {
    std::string bytes(w.len, '\0');
    // The core's own memory is read directly (it stays mapped); anything
    // else through the kernel, so that an unmapped address is no crash.
    if (replay_.owns(w.addr, w.len))
      std::memcpy(bytes.data(), reinterpret_cast<const void*>(w.addr), w.len);
    else if (!read_self(w.addr, bytes.data(), w.len))
      bytes.clear();
    out.push_back(std::move(bytes));
  }
  return out;
}

bool LiveTarget::reverse_to_watch_change(uint64_t floor, const ResumeRequest& req) {
  // Stretches of one checkpoint interval, latest first: re-run each from
  // its start, remembering the last step that changed a watched value.
  constexpr uint64_t kStretch = 32768;
  uint64_t hi = replay_.steps();
  while (hi > floor) {
    const uint64_t lo = hi - floor > kStretch ? hi - kStretch : floor;
    go_to(lo);
    std::vector<std::string> before = watched_now();
    uint64_t changed_at = 0, changed_addr = 0;
    while (replay_.steps() < hi && step_forward()) {
      std::vector<std::string> now = watched_now();
      for (size_t w = 0; w < now.size(); ++w)
        if (now[w] != before[w]) {
          changed_at = replay_.steps();
          changed_addr = watches_[w].addr;
        }
      before = std::move(now);
    }
    if (changed_at) {
      go_to(changed_at - 1);
      last_why_ = Stop::Why::kWatchpoint;
      watch_hit_ = changed_addr;
      stop_cpu_ = step_cpu_[changed_at - 1];  // the writer, about to run
      return true;
    }
    if (req.interrupted && req.interrupted()) break;
    hi = lo;
  }
  return false;
}

Stop LiveTarget::resume(const ResumeRequest& req) {
  first_pass();
  stop_cpu_.reset();
  const uint64_t here = replay_.steps();
  if (req.direction == Direction::kBackward) {
    // Every step's vCPU and park behind us is known: the target of a step
    // or a breakpoint is found without running. Watched values are not
    // kept per step: the stretch after the latest breakpoint is re-run.
    uint64_t target = 0;
    for (uint64_t i = here; i-- > 1;) {
      bool stop = req.mode == ResumeMode::kStep ? (!req.cpu || step_cpu_[i - 1] == *req.cpu)
                                                : hits(step_pc_[i - 1]);
      if (stop) {
        target = i;
        break;
      }
    }
    if (req.mode == ResumeMode::kContinue && !watches_.empty()) {
      if (reverse_to_watch_change(target, req)) return current_stop();
      if (req.interrupted && req.interrupted()) {
        go_to(here);
        last_why_ = Stop::Why::kInterrupted;
        return current_stop();
      }
    }
    if (target) {
      go_to(target);
      last_why_ = req.mode == ResumeMode::kStep ? Stop::Why::kStep : Stop::Why::kBreakpoint;
      return current_stop();
    }
    if (req.mode == ResumeMode::kContinue) go_to(0);
    last_why_ = Stop::Why::kHistoryBegin;
    return current_stop();
  }
  uint64_t polled = 0;
  std::vector<std::string> watched = watched_now();
  for (;;) {
    if (!step_forward()) {
      last_why_ = Stop::Why::kHistoryEnd;
      return current_stop();
    }
    const uint64_t i = replay_.steps() - 1;
    if (!watches_.empty() && req.mode == ResumeMode::kContinue) {
      std::vector<std::string> now = watched_now();
      for (size_t w = 0; w < now.size(); ++w)
        if (now[w] != watched[w]) {
          last_why_ = Stop::Why::kWatchpoint;
          watch_hit_ = watches_[w].addr;
          return current_stop();
        }
    }
    if (req.mode == ResumeMode::kStep) {
      if (!req.cpu || step_cpu_[i] == *req.cpu) {
        last_why_ = Stop::Why::kStep;
        return current_stop();
      }
    } else if (hits(step_pc_[i])) {
      last_why_ = Stop::Why::kBreakpoint;
      return current_stop();
    }
    if (req.interrupted && ++polled % 1024 == 0 && req.interrupted()) {
      last_why_ = Stop::Why::kInterrupted;
      return current_stop();
    }
  }
}

Stop LiveTarget::current_stop() {
  first_pass();
  Stop s;
  s.why = last_why_;
  const uint64_t n = replay_.steps();
  s.cpu = stop_cpu_ ? *stop_cpu_ : n ? step_cpu_[n - 1] : 0;
  if (s.why == Stop::Why::kWatchpoint) s.watch_addr = watch_hit_;
  return s;
}

bool LiveTarget::seek(uint64_t position, std::string& why) {
  first_pass();
  if (position > step_cpu_.size()) {
    why = fmt::format("the replay has {} steps (positions 0 to {})", step_cpu_.size(),
                      step_cpu_.size());
    return false;
  }
  go_to(position);
  stop_cpu_.reset();
  last_why_ = Stop::Why::kStep;
  return true;
}

std::string LiveTarget::describe(uint64_t position) {
  first_pass();
  if (position == 0) return "step 0: before any vCPU ran";
  if (position > step_cpu_.size()) return fmt::format("step {}: past the end", position);
  return fmt::format("step {}: cpu{} parked at {}", position, step_cpu_[position - 1],
                     where(step_pc_[position - 1]));
}

std::string LiveTarget::when() {
  first_pass();
  std::string out = fmt::format("step {} of {}; {} records of the log re-executed and checked",
                                replay_.steps(), step_cpu_.size(), replay_.records_checked());
  if (replay_.divergence()) out += "; the replay diverged: " + replay_.divergence()->message();
  return out;
}

std::string LiveTarget::cpu_report(uint32_t cpu) {
  first_pass();
  replay::ParkedVcpu v = replay_.vcpu(cpu);
  std::string out = fmt::format("cpu{}: {}\n  progress {} (yield points passed), {} of its records replayed",
                                cpu, v.detail, v.progress, v.records_checked);
  if (v.context) out += "\n  in the core at " + where(position_pc(cpu));
  return out;
}

std::optional<std::string> LiveTarget::auxv() {
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
