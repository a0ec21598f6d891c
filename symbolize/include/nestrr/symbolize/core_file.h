// ELF core files from a log, for gdb: one thread per CPU with the
// registers the log has for it at a chosen event, the captured stack bytes
// and memory snapshots as loadable segments, and the auxiliary vector gdb
// uses to place a relocated (PIE) image. `gdb IMAGE core.elf` then shows the
// CPUs as threads and unwinds them with the image's own debug information.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::symbolize {

// What the log tells about one CPU at the chosen event.
enum class CoreRegisters {
  kFull,     // an assertion record's general registers, RIP, RFLAGS, CS, SS
  kRipOnly,  // an NMI record's interrupted RIP; the other registers are 0
  kNone,     // no record with registers on this CPU up to the event: all 0
};

struct CoreThread {
  uint32_t cpu = 0;
  uint32_t lwp = 0;  // the thread id gdb shows: CPU + 1 (gdb reserves 0)
  CoreRegisters what = CoreRegisters::kNone;
  nestrr::v1::Registers registers;  // as written to the core
  int signal = 0;                   // pr_cursig: SIGABRT if the event's CPU failed an assertion
  std::string source;               // "event 12 (cpu0#7, assertion_failure)"
  // An assertion's RIP is the return address of the logger call; the core
  // puts the CPU on the call instruction instead (with the logged RSP, the
  // state just before the call), so a debugger's frame 0 is the assertion
  // site rather than the instruction after it. Empty if RIP was kept.
  std::string rip_note;
};

struct CoreSegment {
  uint64_t address = 0;
  std::string bytes;
  std::string label;  // "stack of cpu0 (event 12)", a snapshot's label, ...
};

struct CoreImage {
  std::vector<CoreThread> threads;   // the event's CPU first: debuggers select it
  std::vector<CoreSegment> memory;   // ascending, disjoint
  std::string program;               // the first module's name
  std::string args;                  // pr_psargs: which event, which CPU is which thread
  std::vector<std::pair<uint64_t, uint64_t>> auxv;  // (AT_*, value), AT_NULL last
};

// The machine at timeline event `event` (an index into timeline.order): per
// CPU the latest record with registers at or before it, every stack window
// and MemorySnapshot at or before it (later bytes over earlier ones). The
// auxiliary vector describes the first module of `sym` at its load bias.
// Throws std::runtime_error for an event out of range or a 32-bit log.
CoreImage build_core_image(const eventlog::Log& log, const eventlog::Timeline& timeline, size_t event,
                           Symbolizer& sym);

// Writes an ELF64 x86-64 ET_CORE file with libelf: a PT_NOTE segment with
// NT_PRSTATUS and NT_FPREGSET per thread, NT_PRPSINFO and NT_AUXV, then
// one PT_LOAD per memory segment. Throws std::runtime_error on I/O errors.
void write_core_file(const CoreImage& image, const std::filesystem::path& path);

}  // namespace nestrr::symbolize
