// Real gdb moving through the live replay of the seed's race at source
// granularity: a breakpoint on a line inside a function, next, until,
// advance, finish across other CPUs' steps, a temporary breakpoint with a
// condition gdb evaluates, reverse-next/-step/-finish; the full registers
// of a vCPU stopped inside its step (and the VMX state feature); read and
// access watchpoints; checkpoint and restart.
#include <gtest/gtest.h>

#include <regex>

#include "race_log.h"
#include "run_util.h"

namespace nestrr::gdbstub {
namespace {

using testing::core_line;
using testing::gdb_batch;
using testing::live_target;
using testing::race;

std::string loc(int line) { return "vmx_insn.c:" + std::to_string(line); }

// gdb prints the line it stopped on as "LINE\t<source>".
bool shows_line(const std::string& out, int line) {
  return out.find("\n" + std::to_string(line) + "\t") != std::string::npos;
}

TEST(GdbLiveStepping, LineBreakpointNextUntilAdvanceAndBack) {
  const auto& r = race();
  ASSERT_TRUE(r.ok);
  const int store = core_line("vmx_insn.c", "v->is_vmx_operation = 1;");
  const int root_point = core_line("vmx_insn.c", "core_point(v, CORE_POINT_VMXON_SET_ROOT);");
  const int entry = core_line("vmx_insn.c", "enum core_vmx_mode mode = vmx_mode_get(v);");
  const std::string thread = std::to_string(r.failing_cpu + 1);
  std::string out = gdb_batch(
      NESTRR_BIN, {live_target(r), "break " + loc(store), "reverse-continue", "p v->is_vmx_operation", "next",
                   "p v->is_vmx_operation", "reverse-next", "p v->is_vmx_operation", "reverse-finish",
                   "delete", "break handle_vmxon", "reverse-continue", "advance " + loc(store), "until",
                   "bt 1"});
  // Stopped at the line itself, gdb naming the breakpoint, before the store.
  EXPECT_NE(out.find("Thread " + thread + " hit Breakpoint 1, handle_vmxon (v="), std::string::npos) << out;
  EXPECT_TRUE(shows_line(out, store)) << out;
  // next runs the store; reverse-next undoes it.
  EXPECT_NE(out.find("$1 = 0\n"), std::string::npos) << out;
  EXPECT_TRUE(shows_line(out, root_point)) << out;
  EXPECT_NE(out.find("$2 = 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("$3 = 0\n"), std::string::npos) << out;
  // reverse-finish: back to the call in core_vmx_insn.
  EXPECT_NE(out.find("in core_vmx_insn ("), std::string::npos) << out;
  // From the entry, advance and until stop at lines inside the function.
  EXPECT_NE(out.find("Breakpoint 2, handle_vmxon (v="), std::string::npos) << out;
  EXPECT_TRUE(shows_line(out, entry)) << out;
  EXPECT_NE(out.find("handle_vmxon (v=0x"), out.rfind("Breakpoint 2")) << out;
  EXPECT_NE(out.find("#0  handle_vmxon ("), std::string::npos) << out;
}

// finish out of a yield point: the vCPU parks inside it, other CPUs run,
// and gdb stops when it returns. A temporary breakpoint whose condition
// gdb evaluates stops only where it holds.
TEST(GdbLiveStepping, FinishAcrossParksAndConditionalTemporaryBreakpoint) {
  const auto& r = race();
  ASSERT_TRUE(r.ok);
  std::string out = gdb_batch(NESTRR_BIN, {live_target(r), "monitor goto 1", "stepi",
                                           "tbreak core_point if id == CORE_POINT_VMXON_SET_OPERATION", "continue",
                                           "p id", "finish", "info breakpoints"});
  const int store = core_line("vmx_insn.c", "v->is_vmx_operation = 1;");
  EXPECT_NE(out.find("Temporary breakpoint 1, core_point (v="), std::string::npos) << out;
  EXPECT_NE(out.find("CORE_POINT_VMXON_SET_OPERATION) at "), std::string::npos) << out;
  const size_t p = out.find("$1 = CORE_POINT_VMXON_SET_OPERATION\n");
  ASSERT_NE(p, std::string::npos) << out;
  // finish: back in the caller, at the line after the call.
  const std::string after = out.substr(p);
  EXPECT_NE(after.find("\nhandle_vmxon (v="), std::string::npos) << out;
  EXPECT_TRUE(shows_line(after, store)) << out;
  EXPECT_NE(out.find("No breakpoints or watchpoints."), std::string::npos) << out;
}

// A vCPU stopped by a breakpoint has every general register (rax, r10,
// r11 and eflags too), the thread's segments and bases, and the VMX state
// of its CPU in nestrr's own feature.
TEST(GdbLiveStepping, FullRegistersAndVmxState) {
  const auto& r = race();
  ASSERT_TRUE(r.ok);
  const int store = core_line("vmx_insn.c", "v->is_vmx_operation = 1;");
  std::string out = gdb_batch(NESTRR_BIN, {live_target(r), "break " + loc(store), "reverse-continue", "next",
                                           "info registers rax r10 r11 eflags cs ss fs_base",
                                           "p $vmx_operation", "p $vmx_root", "p $vmx_mode", "p/x $vmcs12",
                                           "p $in_nmi", "p v->id"});
  for (const char* reg : {"rax", "r10", "r11", "eflags", "cs", "ss", "fs_base"}) {
    std::regex line(std::string("\n") + reg + R"(\s+0x[0-9a-f]+)");
    EXPECT_TRUE(std::regex_search(out, line)) << reg << " in\n" << out;
  }
  EXPECT_EQ(out.find("<unavailable>"), std::string::npos) << out;
  // After the first store: in VMX operation, not root, no VMCS12.
  EXPECT_NE(out.find("$1 = 1\n$2 = 0\n$3 = 0\n$4 = 0xffffffffffffffff\n$5 = 0\n"), std::string::npos) << out;
}

// rwatch stops after a read of the watched flag, awatch after any access,
// with the value gdb shows; both by the CPU's debug registers.
TEST(GdbLiveStepping, ReadAndAccessWatchpoints) {
  const auto& r = race();
  ASSERT_TRUE(r.ok);
  const int store = core_line("vmx_insn.c", "v->is_vmx_operation = 1;");
  std::string out = gdb_batch(NESTRR_BIN, {live_target(r), "break " + loc(store), "reverse-continue", "delete",
                                           "rwatch -l v->is_vmx_root_operation", "continue", "bt 1", "delete",
                                           "awatch -l v->is_vmx_operation", "reverse-continue", "bt 1"});
  if (out.find("Could not insert hardware watchpoint") != std::string::npos ||
      out.find("Target does not support this type of hardware watchpoint") != std::string::npos)
    GTEST_SKIP() << "no hardware watchpoints here (perf_event_open refused):\n" << out;
  EXPECT_NE(out.find("Hardware read watchpoint 2: -location v->is_vmx_root_operation\n\nValue = 0"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Hardware access (read/write) watchpoint 3: -location v->is_vmx_operation"),
            std::string::npos)
      << out;
}

// A checkpoint taken inside a step, after the first store; gdb goes on to
// the assertion, and restart comes back to the very instruction.
TEST(GdbLiveStepping, CheckpointAndRestartInsideAStep) {
  const auto& r = race();
  ASSERT_TRUE(r.ok);
  const int store = core_line("vmx_insn.c", "v->is_vmx_operation = 1;");
  const int root_point = core_line("vmx_insn.c", "core_point(v, CORE_POINT_VMXON_SET_ROOT);");
  std::string out = gdb_batch(NESTRR_BIN, {live_target(r), "break " + loc(store), "reverse-continue", "next",
                                           "monitor checkpoint", "delete", "continue", "monitor restart 1",
                                           "continue", "p v->is_vmx_operation", "p v->is_vmx_root_operation"});
  EXPECT_NE(out.find("checkpoint 1 at step "), std::string::npos) << out;
  EXPECT_NE(out.find("received signal SIGABRT"), std::string::npos) << out;
  const size_t back = out.find("Thread " + std::to_string(r.failing_cpu + 1) + " stopped.");
  ASSERT_NE(back, std::string::npos) << out;
  EXPECT_TRUE(shows_line(out.substr(back), root_point)) << out;
  EXPECT_NE(out.find("$1 = 1\n$2 = 0\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace nestrr::gdbstub
