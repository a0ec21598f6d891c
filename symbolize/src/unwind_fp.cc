// Frame-pointer unwinding over logged stack bytes: each frame's RBP points
// at the caller's saved RBP, with the return address just above it.
#include "nestrr/symbolize/unwind_fp.h"

#include <fmt/format.h>

namespace nestrr::symbolize {

namespace {

// Appends what the logger walked from frame `next` on; says so in `why`.
void append_recorded(const StackSnapshot& snap, UnwindResult& r, size_t max_frames, std::string why) {
  // The logger's list starts either at the logged RIP or at its caller.
  size_t offset = !snap.return_addresses.empty() && snap.return_addresses[0] == snap.pc ? 0 : 1;
  size_t first = r.frames.size() - offset;
  size_t added = 0;
  for (size_t i = first; i < snap.return_addresses.size() && r.frames.size() < max_frames; i++, added++)
    r.frames.push_back({snap.return_addresses[i], UnwindMethod::kRecorded, true, 0});
  if (added == 0) {
    r.stop_reason = std::move(why);
    return;
  }
  r.stop_reason = fmt::format("{}; {} frame(s) from the return addresses the logger walked, whose list ends there", why,
                              added);
}

}  // namespace

UnwindResult unwind_fp(const StackSnapshot& snap, size_t max_frames) {
  UnwindResult r;
  r.frames.push_back({snap.pc, UnwindMethod::kRegisters, snap.pc_is_return_address,
                      snap.has_registers ? snap.registers.rbp() : 0});
  if (!snap.has_registers) {
    r.stop_reason = "the record holds only the interrupted RIP: no registers or stack bytes to unwind";
    return r;
  }
  uint64_t fp = snap.registers.rbp();
  while (r.frames.size() < max_frames) {
    if (fp == 0) {
      r.stop_reason = "frame pointer is 0: outermost frame";
      return r;
    }
    uint64_t saved_fp = 0, ret = 0;
    if (!snap.read_stack(fp, saved_fp) || !snap.read_stack(fp + 8, ret)) {
      append_recorded(snap, r, max_frames,
                      fmt::format("frame pointer {:#x} is outside the logged stack bytes {}", fp, snap.window()));
      return r;
    }
    if (ret == 0) {
      r.stop_reason = fmt::format("return address 0 at {:#x}: outermost frame", fp + 8);
      return r;
    }
    r.frames.push_back({ret, UnwindMethod::kFramePointer, true, saved_fp});
    if (saved_fp != 0 && saved_fp <= fp) {
      r.stop_reason = fmt::format("saved frame pointer {:#x} at {:#x} does not grow towards the stack base: "
                                  "not a frame-pointer chain (code without frame pointers?)",
                                  saved_fp, fp);
      return r;
    }
    fp = saved_fp;
  }
  r.stop_reason = fmt::format("stopped at {} frames", max_frames);
  return r;
}

}  // namespace nestrr::symbolize
