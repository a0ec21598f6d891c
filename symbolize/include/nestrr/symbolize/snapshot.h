// What a log record tells about a stopped CPU's stack: registers, the
// return addresses the logger walked, and a window of raw stack bytes.
// The input of both unwinders (unwind_fp.h, unwind_cfi.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/log.h"

namespace nestrr::symbolize {

struct StackSnapshot {
  std::string kind;  // "assertion" or "nmi"
  std::string what;  // "assertion failed: COND (FILE:LINE)", "NMI interrupted here"
  uint64_t pc = 0;
  // The assertion path records the return address of its own call as RIP:
  // the innermost frame sits just after a call, like every caller frame.
  bool pc_is_return_address = false;
  bool has_registers = false;
  nestrr::v1::Registers registers;
  std::vector<uint64_t> return_addresses;  // innermost first, as logged
  uint64_t stack_address = 0;
  std::string stack;  // bytes at [stack_address, stack_address + size)

  // From an AssertionFailure or NmiReceived record; nothing otherwise.
  static std::optional<StackSnapshot> from_record(const nestrr::v1::Record& record);
  // The same for event `ref` of `log`, with the stack window extended by
  // the memory snapshots its CPU logged right after it that continue the
  // window (the testbox logs the rest of a failing stack that way), so the
  // unwinders can read every caller's frame.
  static std::optional<StackSnapshot> from_log(const eventlog::Log& log, eventlog::EventRef ref);

  // 8 little-endian bytes at `address` from the stack window.
  bool read_stack(uint64_t address, uint64_t& out) const;
  uint64_t stack_end() const { return stack_address + stack.size(); }
  // "[0x7ffc0000, 0x7ffc0200)" or "none" when no bytes were logged.
  std::string window() const;
};

// How a frame was found.
enum class UnwindMethod {
  kRegisters,     // frame 0: the logged RIP
  kCfi,           // DWARF call-frame information (libdwfl)
  kFramePointer,  // saved RBP chain read from the logged stack bytes
  kRecorded,      // return address the logger walked on the live machine
};
const char* method_name(UnwindMethod m);

struct RawFrame {
  uint64_t pc = 0;
  UnwindMethod method = UnwindMethod::kRegisters;
  // pc follows a call: its source line is that of pc - 1.
  bool return_address = true;
  uint64_t frame_pointer = 0;  // frame-pointer walk only: this frame's RBP (0 unknown)
};

struct UnwindResult {
  std::vector<RawFrame> frames;  // innermost first
  std::string stop_reason;       // why there is no further frame
};

}  // namespace nestrr::symbolize
