// SIGTRAP-driven breakpoints, single steps and hardware watchpoints on the
// replay's fibers (fiber_traps.h).
#include "nestrr/replay/fiber_traps.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "fiber.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NESTRR_NO_TRAPS 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NESTRR_NO_TRAPS 1
#endif
#endif

namespace nestrr::replay {
namespace {

constexpr uint64_t kTrapFlag = 0x100;
constexpr uint8_t kInt3 = 0xcc;
// si_code values of SIGTRAP on x86-64 Linux.
constexpr int kSiKernel = 0x80;  // int3
constexpr int kTrapTrace = 2;    // the trap flag
constexpr int kTrapPerf = 6;     // a perf_event with sigtrap set

FiberTraps* g_traps = nullptr;

}  // namespace

FiberTraps* FiberTraps::g_active = nullptr;

namespace {

void on_sigtrap(int, siginfo_t* si, void* ucv) {
  // The perf event's sig_data follows si_addr in the kernel's siginfo
  // (glibc 2.36 does not name it).
  uint64_t perf_data = 0;
  std::memcpy(&perf_data, reinterpret_cast<const char*>(&si->si_addr) + sizeof(void*), sizeof perf_data);
  g_traps->on_signal(si->si_code, si->si_addr, perf_data, static_cast<ucontext_t*>(ucv));
}

int program_text(dl_phdr_info* info, size_t, void* out) {
  auto* range = static_cast<std::pair<uint64_t, uint64_t>*>(out);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    uint64_t lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_memsz;
    if (!range->first || lo < range->first) range->first = lo;
    range->second = std::max(range->second, hi);
  }
  return 1;  // the first object is the program
}

int open_watch(const WatchSpec& w, uint64_t tag, bool sigtrap) {
  perf_event_attr a{};
  a.type = PERF_TYPE_BREAKPOINT;
  a.size = sizeof a;
  // x86 has no read-only data breakpoint: reads are caught as accesses
  // and told apart by the value.
  a.bp_type = w.type == WatchType::kWrite ? HW_BREAKPOINT_W : HW_BREAKPOINT_RW;
  a.bp_addr = w.addr;
  a.bp_len = w.len;
  a.sample_period = 1;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  a.disabled = 1;
  a.sigtrap = sigtrap ? 1 : 0;
  a.remove_on_exec = sigtrap ? 1 : 0;
  a.sig_data = tag;
  return static_cast<int>(::syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

uint64_t page_of(uint64_t a) { return a & ~uint64_t{4095}; }

int program_bias(dl_phdr_info* info, size_t, void* out) {
  *static_cast<uint64_t*>(out) = info->dlpi_addr;
  return 1;
}

// The program's PLT stubs: trampolines into libraries, not places to stop.
std::vector<std::pair<uint64_t, uint64_t>> plt_ranges() {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t bias = 0;
  dl_iterate_phdr(program_bias, &bias);
  elf_version(EV_CURRENT);
  int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  size_t strndx = 0;
  if (elf && elf_getshdrstrndx(elf, &strndx) == 0) {
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      const char* name = elf_strptr(elf, strndx, sh.sh_name);
      if (name && std::strncmp(name, ".plt", 4) == 0 && sh.sh_size)
        out.push_back({bias + sh.sh_addr, bias + sh.sh_addr + sh.sh_size});
    }
  }
  if (elf) elf_end(elf);
  ::close(fd);
  return out;
}

}  // namespace

bool FiberTraps::supported() {
#if defined(NESTRR_NO_TRAPS) || !defined(__x86_64__)
  return false;
#else
  return true;
#endif
}

FiberTraps& FiberTraps::get() {
  static FiberTraps* traps = new FiberTraps();  // lives as long as the handler
  return *traps;
}

FiberTraps::FiberTraps()
    : count_keys_(kCountSlots, 0), count_values_(kCountSlots, 0) {
  std::pair<uint64_t, uint64_t> range{0, 0};
  dl_iterate_phdr(program_text, &range);
  text_lo_ = range.first;
  text_hi_ = range.second;
  plt_ = plt_ranges();
  count_used_.reserve(kCountSlots);
  if (!supported()) return;
  g_traps = this;
  struct sigaction sa {};
  sa.sa_sigaction = on_sigtrap;
  // SA_NODEFER: a fiber paused inside the handler leaves it by a stack
  // switch, not by returning; SIGTRAP must stay unblocked meanwhile.
  sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTRAP, &sa, nullptr);
}

bool FiberTraps::hardware_watch_available(std::string* why) {
  if (perf_probe_ < 0) {
    static uint64_t probe_target = 0;
    WatchSpec w{reinterpret_cast<uint64_t>(&probe_target), 8, WatchType::kWrite};
    int fd = supported() ? open_watch(w, 0, true) : -1;
    if (fd >= 0) {
      ::close(fd);
      perf_probe_ = 1;
    } else {
      perf_probe_ = 0;
      perf_why_ = supported() ? std::string("perf_event_open: ") + std::strerror(errno)
                              : "not in this build (sanitizers)";
    }
  }
  if (why) *why = perf_why_;
  return perf_probe_ == 1;
}

const FiberTraps::Armed* FiberTraps::find_armed(uint64_t addr) const {
  auto it = std::lower_bound(breakpoints_.begin(), breakpoints_.end(), addr,
                             [](const Armed& a, uint64_t v) { return a.addr < v; });
  return it != breakpoints_.end() && it->addr == addr ? &*it : nullptr;
}

void FiberTraps::protect_text(bool writable) {
  if (writable == text_writable_ || breakpoints_.empty()) {
    text_writable_ = writable && !breakpoints_.empty();
    return;
  }
  const int prot = PROT_READ | PROT_EXEC | (writable ? PROT_WRITE : 0);
  uint64_t last = 0;
  for (const Armed& a : breakpoints_) {
    uint64_t p = page_of(a.addr);
    if (p == last) continue;
    // An instruction may cross into the next page: cover both.
    if (::mprotect(reinterpret_cast<void*>(p), 8192, prot) != 0)
      throw std::runtime_error(std::string("cannot change the protection of the code: ") +
                               std::strerror(errno));
    last = p;
  }
  text_writable_ = writable;
}

void FiberTraps::write_byte(uint64_t addr, uint8_t b) { *reinterpret_cast<volatile uint8_t*>(addr) = b; }

void FiberTraps::set_breakpoints(std::vector<uint64_t> addrs) {
  const bool was = armed_;
  if (was) disarm();
  std::sort(addrs.begin(), addrs.end());
  addrs.erase(std::unique(addrs.begin(), addrs.end()), addrs.end());
  breakpoints_.clear();
  for (uint64_t a : addrs) {
    if (!pausable(a)) throw std::invalid_argument("not in the program's code");
    breakpoints_.push_back({a, *reinterpret_cast<const uint8_t*>(a)});
  }
  if (was) arm();
}

void FiberTraps::close_slots() {
  for (Slot& s : slots_)
    if (s.fd >= 0) ::close(s.fd);
  slots_.clear();
}

bool FiberTraps::set_watches(const std::vector<WatchSpec>& watches) {
  if (watches == watch_specs_) return true;
  if (watches.size() > 4) return false;
  for (const WatchSpec& w : watches)
    if ((w.len != 1 && w.len != 2 && w.len != 4 && w.len != 8) || w.addr % w.len) return false;
  if (!watches.empty() && !hardware_watch_available()) return false;
  const bool was = armed_;
  if (was) disarm();
  std::vector<Slot> opened;
  for (size_t i = 0; i < watches.size(); ++i) {
    Slot s;
    s.spec = watches[i];
    s.fd = open_watch(watches[i], i, true);
    if (s.fd < 0) {
      for (Slot& o : opened) ::close(o.fd);
      if (was) arm();
      return false;  // no debug register left
    }
    opened.push_back(s);
  }
  // A watch kept over the change keeps its hits in this step.
  for (Slot& o : opened)
    for (const Slot& s : slots_)
      if (s.spec == o.spec) o.hits = s.hits;
  close_slots();
  slots_ = std::move(opened);
  watch_specs_ = watches;
  if (was) arm();
  return true;
}

void FiberTraps::arm() {
  if (armed_ || !supported()) return;
  protect_text(true);
  for (const Armed& a : breakpoints_) write_byte(a.addr, kInt3);
  for (Slot& s : slots_) {
    std::memcpy(s.last, reinterpret_cast<const void*>(s.spec.addr), s.spec.len);
    ::ioctl(s.fd, PERF_EVENT_IOC_ENABLE, 0);
    if (::read(s.fd, &s.seen, sizeof s.seen) != sizeof s.seen) s.seen = 0;
  }
  g_active = this;
  armed_ = true;
}

void FiberTraps::disarm() {
  if (!armed_) return;
  g_active = nullptr;
  for (Slot& s : slots_) ::ioctl(s.fd, PERF_EVENT_IOC_DISABLE, 0);
  for (const Armed& a : breakpoints_) write_byte(a.addr, a.original);
  protect_text(false);
  step_over_ = 0;
  pending_watch_ = false;
  armed_ = false;
}

void FiberTraps::original_bytes(uint64_t addr, std::string& bytes) const {
  if (!armed_) return;
  for (const Armed& a : breakpoints_)
    if (a.addr >= addr && a.addr - addr < bytes.size()) bytes[a.addr - addr] = static_cast<char>(a.original);
}

void FiberTraps::new_step() {
  for (uint32_t i : count_used_) {
    count_keys_[i] = 0;
    count_values_[i] = 0;
  }
  count_used_.clear();
  counts_full_ = false;
  for (Slot& s : slots_) s.hits = 0;
  pending_watch_ = false;
}

uint64_t FiberTraps::count_run(uint64_t addr) {
  size_t i = (addr * 0x9e3779b97f4a7c15ull) >> 48;  // 16 bits
  for (size_t probes = 0; probes < kCountSlots; ++probes, i = (i + 1) & (kCountSlots - 1)) {
    if (count_keys_[i] == addr) return ++count_values_[i];
    if (count_keys_[i] == 0) {
      if (count_used_.size() >= kCountSlots / 2) {
        counts_full_ = true;
        return 0;
      }
      count_keys_[i] = addr;
      count_used_.push_back(static_cast<uint32_t>(i));
      return count_values_[i] = 1;
    }
  }
  counts_full_ = true;
  return 0;
}

void FiberTraps::entering(Fiber* f, StackBounds stack, bool paused) {
  running_ = f;
  running_stack_ = stack;
  inside_ = paused;
}

void FiberTraps::left() { running_ = nullptr; }

bool FiberTraps::observe(TrapEvent& e, ucontext_t* uc) {
  if (!observer_ || !observer_->on_trap(e)) return false;
  running_->pause_in_trap(uc);  // back when the fiber is resumed
  return true;
}

void FiberTraps::on_signal(int code, void*, uint64_t perf_data, ucontext_t* uc) {
  // The handler's own reads of a watched value trap again: ignored.
  if (reading_watch_) return;
  greg_t* g = uc->uc_mcontext.gregs;
  uint64_t pc = static_cast<uint64_t>(g[REG_RIP]);
  if (step_over_) {  // the instruction under the int3 has run
    write_byte(step_over_, kInt3);
    step_over_ = 0;
  }
  const bool perf = code == kTrapPerf;
  bool breakpoint = false;
  if (code == kSiKernel && pc && find_armed(pc - 1) &&
      *reinterpret_cast<const uint8_t*>(pc - 1) == kInt3) {
    pc -= 1;
    g[REG_RIP] = static_cast<greg_t>(pc);
    breakpoint = true;
  }
  const bool traced = code == kTrapTrace;
  if (!perf && !breakpoint && !traced) return;  // not ours (a raise(SIGTRAP), an int3 of the program)

  const uint64_t sp = static_cast<uint64_t>(g[REG_RSP]);
  const bool in_fiber = running_ && running_stack_.contains(sp, 1);
  // The counters say how often each watch was hit since the last look
  // (two traps at once are one signal: the counters lose nothing).
  if (armed_)
    for (uint32_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      uint64_t now_count = s.seen;
      if (::read(s.fd, &now_count, sizeof now_count) != sizeof now_count || now_count == s.seen) continue;
      const uint64_t fresh = now_count - s.seen;
      s.seen = now_count;
      if (!in_fiber) continue;  // the scheduler's or the debugger's own access
      uint8_t now[8];
      reading_watch_ = true;
      std::memcpy(now, reinterpret_cast<const void*>(s.spec.addr), s.spec.len);
      reading_watch_ = false;
      const bool changed = std::memcmp(now, s.last, s.spec.len) != 0;
      std::memcpy(s.last, now, s.spec.len);
      // A read watch sees accesses: one that changed the value was a write.
      if (s.spec.type == WatchType::kRead && changed && fresh == 1) continue;
      s.hits += fresh;
      pending_ = TrapEvent{TrapEvent::Kind::kWatch, i, s.spec.addr, s.hits, pc, 0};
      pending_watch_ = true;
    }
  (void)perf_data;
  bool trace = false;  // keep the trap flag after this one
  if (!in_fiber) {
    // The scheduler, or the switch into or out of a fiber. On the way in
    // a traced fiber keeps the flag; once it has been inside, leaving ends it.
    trace = tracing_ && running_ && !inside_;
  } else {
    inside_ = true;
    serial_++;
    const bool program = pausable(pc);
    if (program) {
      // A watch hit is shown at the first instruction of the program
      // after the access (a library's copy loop is not a place to stop).
      if (pending_watch_) {
        pending_watch_ = false;
        pending_.pc = pc;
        pending_.serial = serial_;
        observe(pending_, uc);
      }
      // About to run pc: an armed instruction (reached by its int3, or by
      // any other trap that stopped right before it, whose int3 will then
      // be stepped over) and, while tracing, every instruction. Each run
      // of an address is counted once.
      const Armed* a = find_armed(pc);
      const bool at_breakpoint = armed_ && a && *reinterpret_cast<const uint8_t*>(pc) == kInt3;
      const bool step = tracing_ && traced;
      if (at_breakpoint || step) {
        TrapEvent e;
        e.addr = pc;
        e.count = count_run(pc);
        e.pc = pc;
        e.serial = serial_;
        bool paused = false;
        if (at_breakpoint) {
          e.kind = TrapEvent::Kind::kBreakpoint;
          paused = observe(e, uc);
        }
        if (step && !paused) {
          e.kind = TrapEvent::Kind::kStep;
          observe(e, uc);
        }
      }
    }
    trace = tracing_ || pending_watch_;
  }
  // Going on: an int3 under the next instruction is taken out for one step.
  pc = static_cast<uint64_t>(g[REG_RIP]);
  if (armed_ && find_armed(pc) && *reinterpret_cast<const uint8_t*>(pc) == kInt3) {
    write_byte(pc, find_armed(pc)->original);
    step_over_ = pc;
    trace = true;
  }
  if (trace)
    g[REG_EFL] |= kTrapFlag;
  else
    g[REG_EFL] &= ~static_cast<greg_t>(kTrapFlag);
}

}  // namespace nestrr::replay
