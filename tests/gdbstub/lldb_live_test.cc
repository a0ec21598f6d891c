// Real lldb (lldb-14, batch mode) on the live replay of the seed's race
// over a loopback port: the question of the race answered as in gdb, by a
// write watchpoint and a continue run backward (lldb 14 has no reverse
// commands: `monitor direction backward`), then breakpoints at a line and
// stepping over lines.
#include <gtest/gtest.h>

#include <regex>

#include "race_log.h"
#include "run_util.h"

namespace nestrr::gdbstub {
namespace {

using testing::core_line;
using testing::quote;
using testing::race;
using testing::run;
using testing::TcpServer;

std::string lldb_batch(const std::string& program, const std::vector<std::string>& commands) {
  std::string cmd = "timeout 60 lldb-14 --no-use-colors -b";
  for (const auto& c : commands) cmd += " -o " + quote(c);
  return run(cmd + " " + quote(program) + " </dev/null 2>&1");
}

TEST(LldbLive, WatchAndContinueBackwardFindTheStoreOfTheFlag) {
  const auto& r = race();
  ASSERT_TRUE(r.ok);
  auto dir = testing::temp_dir();
  TcpServer server(NESTRR_BIN, quote(r.log) + " --live", dir);
  ASSERT_FALSE(server.port().empty());
  const int store = core_line("vmx_insn.c", "v->is_vmx_operation = 1;");
  const std::string thread = std::to_string(r.failing_cpu + 1);
  // Where the failing CPU's vcpu is: the frame of find_current_vmcs12
  // (the server stays up for the second session).
  std::string bt = lldb_batch(NESTRR_BIN, {"gdb-remote 127.0.0.1:" + server.port(), "thread select " + thread,
                                           "thread backtrace", "detach"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(bt, m, std::regex(R"(frame #(\d+): 0x[0-9a-f]+ nestrr`find_current_vmcs12)"))) << bt;
  std::string out = lldb_batch(
      NESTRR_BIN, {"gdb-remote 127.0.0.1:" + server.port(), "thread select " + thread,
                   "frame select " + std::string(m[1]), "process plugin packet monitor direction backward",
                   "watchpoint set expression -w write -s 4 -- &vcpu->is_vmx_operation", "continue",
                   "frame info", "process plugin packet monitor direction forward", "continue", "frame info",
                   "kill"});
  // Backward: stopped at the store, before it ran (old value 1, new 0 as
  // seen going back); forward: right after it.
  EXPECT_NE(out.find("stop reason = watchpoint 1"), std::string::npos) << out;
  EXPECT_NE(out.find("old value: 0x0000000000000001\nnew value: 0x0000000000000000"), std::string::npos) << out;
  EXPECT_NE(out.find("handle_vmxon(v=0x00004e5e"), std::string::npos) << out;
  EXPECT_NE(out.find("at vmx_insn.c:" + std::to_string(store) + ":"), std::string::npos) << out;
  EXPECT_NE(out.find("old value: 0x0000000000000000\nnew value: 0x0000000000000001"), std::string::npos) << out;
  EXPECT_NE(out.find("exited with status = 9"), std::string::npos) << out;
  EXPECT_TRUE(server.wait_for_exit()) << server.stderr_text();
}

TEST(LldbLive, LineBreakpointAndStepOver) {
  const auto& r = race();
  ASSERT_TRUE(r.ok);
  auto dir = testing::temp_dir();
  TcpServer server(NESTRR_BIN, quote(r.log) + " --live", dir);
  ASSERT_FALSE(server.port().empty());
  const int store = core_line("vmx_insn.c", "v->is_vmx_operation = 1;");
  const int root_point = core_line("vmx_insn.c", "core_point(v, CORE_POINT_VMXON_SET_ROOT);");
  std::string out = lldb_batch(
      NESTRR_BIN, {"gdb-remote 127.0.0.1:" + server.port(), "breakpoint set -f vmx_insn.c -l " + std::to_string(store),
                   "process plugin packet monitor goto 1", "continue", "continue", "frame info", "thread step-over",
                   "frame info", "register read rax", "kill"});
  EXPECT_NE(out.find("stop reason = breakpoint 1.1"), std::string::npos) << out;
  EXPECT_NE(out.find("at vmx_insn.c:" + std::to_string(store) + ":"), std::string::npos) << out;
  EXPECT_NE(out.find("stop reason = step over"), std::string::npos) << out;
  EXPECT_NE(out.find("at vmx_insn.c:" + std::to_string(root_point) + ":"), std::string::npos) << out;
  EXPECT_NE(out.find("rax = 0x"), std::string::npos) << out;
  EXPECT_TRUE(server.wait_for_exit()) << server.stderr_text();
}

}  // namespace
}  // namespace nestrr::gdbstub
