// libdwfl unwinding with our own thread state: one thread whose initial
// registers are the logged ones and whose memory is the logged stack
// window plus the images' file-backed sections.
#include "nestrr/symbolize/unwind_cfi.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fmt/format.h>

#include <cstdlib>

namespace nestrr::symbolize {

namespace {

constexpr pid_t kTid = 1;

struct State {
  const StackSnapshot* snap = nullptr;
  Symbolizer* images = nullptr;
  Dwfl* dwfl = nullptr;
  size_t max_frames = 0;
  bool thread_given = false;
  uint64_t failed_read = 0;
  bool read_failed = false;
  UnwindResult result;
  std::string stop;  // set by the frame callback when it ends the walk
};

pid_t next_thread(Dwfl*, void* arg, void** thread_arg) {
  auto* st = static_cast<State*>(arg);
  if (st->thread_given) return 0;
  st->thread_given = true;
  *thread_arg = st;
  return kTid;
}

bool get_thread(Dwfl*, pid_t tid, void* arg, void** thread_arg) {
  if (tid != kTid) return false;
  *thread_arg = arg;
  return true;
}

bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* out, void* arg) {
  auto* st = static_cast<State*>(arg);
  uint64_t v = 0;
  if (st->snap->read_stack(addr, v)) {
    *out = v;
    return true;
  }
  std::string bytes = st->images->read_image(addr, 8);
  if (bytes.size() == 8) {
    v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
    *out = v;
    return true;
  }
  st->read_failed = true;
  st->failed_read = addr;
  return false;
}

bool set_initial_registers(Dwfl_Thread* thread, void* arg) {
  auto* st = static_cast<State*>(arg);
  const auto& r = st->snap->registers;
  // DWARF register numbers of x86-64: rax rdx rcx rbx rsi rdi rbp rsp r8..r15.
  Dwarf_Word regs[16] = {r.rax(), r.rdx(), r.rcx(), r.rbx(), r.rsi(), r.rdi(), r.rbp(), r.rsp(),
                         r.r8(),  r.r9(),  r.r10(), r.r11(), r.r12(), r.r13(), r.r14(), r.r15()};
  if (!dwfl_thread_state_registers(thread, 0, 16, regs)) return false;
  dwfl_thread_state_register_pc(thread, st->snap->pc);
  return true;
}

// True if the module holding `pc` has an FDE for it (.eh_frame or .debug_frame).
bool has_cfi(Dwfl* dwfl, uint64_t pc, std::string& where) {
  Dwfl_Module* mod = dwfl_addrmodule(dwfl, pc);
  if (!mod) {
    where = "outside every known module";
    return false;
  }
  const char* name = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  where = fmt::format("in {}", name ? name : "?");
  auto covers = [pc](Dwarf_CFI* cfi, Dwarf_Addr bias) {
    Dwarf_Frame* frame = nullptr;
    if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame) != 0) return false;
    free(frame);
    return true;
  };
  Dwarf_Addr eh_bias = 0, debug_bias = 0;
  Dwarf_CFI* eh = dwfl_module_eh_cfi(mod, &eh_bias);
  if (covers(eh, eh_bias)) return true;
  Dwarf_CFI* debug = dwfl_module_dwarf_cfi(mod, &debug_bias);
  return covers(debug, debug_bias);
}

int on_frame(Dwfl_Frame* frame, void* arg) {
  auto* st = static_cast<State*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) {
    st->stop = fmt::format("libdwfl has no PC for the next frame: {}", dwfl_errmsg(-1));
    return DWARF_CB_ABORT;
  }
  st->read_failed = false;  // only reads after the last good frame explain a failure
  bool first = st->result.frames.empty();
  bool ret_addr = first ? st->snap->pc_is_return_address : !activation;
  st->result.frames.push_back(
      {pc, first ? UnwindMethod::kRegisters : UnwindMethod::kCfi, ret_addr, 0});
  if (st->result.frames.size() >= st->max_frames) {
    st->stop = fmt::format("stopped at {} frames", st->max_frames);
    return DWARF_CB_ABORT;
  }
  // libdwfl falls back to guessing with frame pointers where CFI is
  // missing; such frames are not CFI's, so the walk ends here instead.
  std::string where;
  uint64_t lookup = ret_addr && pc > 0 ? pc - 1 : pc;
  if (!has_cfi(st->dwfl, lookup, where)) {
    st->stop = fmt::format("no CFI for {:#x} ({})", pc, where);
    return DWARF_CB_ABORT;
  }
  return DWARF_CB_OK;
}

}  // namespace

UnwindResult unwind_cfi(const StackSnapshot& snap, Symbolizer& images, size_t max_frames) {
  UnwindResult none;
  if (!snap.has_registers) {
    none.frames.push_back({snap.pc, UnwindMethod::kRegisters, snap.pc_is_return_address, 0});
    none.stop_reason = "the record holds only the interrupted RIP: no registers or stack bytes to unwind";
    return none;
  }
  // A session of its own: a Dwfl carries at most one attached state.
  DwflSession session(images.modules());
  Dwfl* dwfl = session.get();
  Dwfl_Module* first = nullptr;
  dwfl_getmodules(
      dwfl,
      [](Dwfl_Module* m, void**, const char*, Dwarf_Addr, void* arg) -> int {
        *static_cast<Dwfl_Module**>(arg) = m;
        return DWARF_CB_ABORT;
      },
      &first, 0);
  Elf* elf = nullptr;
  if (first) {
    Dwarf_Addr bias;
    elf = dwfl_module_getelf(first, &bias);
  }
  State st;
  st.snap = &snap;
  st.images = &images;
  st.dwfl = dwfl;
  st.max_frames = max_frames;
  static const Dwfl_Thread_Callbacks callbacks = {
      next_thread, get_thread, memory_read, set_initial_registers, nullptr, nullptr};
  if (!elf || !dwfl_attach_state(dwfl, elf, kTid, &callbacks, &st)) {
    none.frames.push_back({snap.pc, UnwindMethod::kRegisters, snap.pc_is_return_address, 0});
    none.stop_reason = fmt::format("libdwfl cannot unwind: {}", elf ? dwfl_errmsg(-1) : "no ELF module loaded");
    return none;
  }
  int rc = dwfl_getthread_frames(dwfl, kTid, on_frame, &st);
  UnwindResult r = std::move(st.result);
  if (r.frames.empty()) r.frames.push_back({snap.pc, UnwindMethod::kRegisters, snap.pc_is_return_address, 0});
  if (!st.stop.empty()) {
    r.stop_reason = st.stop;
  } else if (rc == 0) {
    r.stop_reason = "outermost frame: the CFI gives no return address";
  } else if (st.read_failed) {
    r.stop_reason = fmt::format("the CFI needs memory at {:#x}, outside the logged stack bytes {} and the images",
                                st.failed_read, snap.window());
  } else {
    r.stop_reason = fmt::format("libdwfl: {}", dwfl_errmsg(-1));
  }
  return r;
}

}  // namespace nestrr::symbolize
