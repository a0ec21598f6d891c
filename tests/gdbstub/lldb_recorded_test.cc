// Real lldb (lldb-14, batch mode) on recorded states over a loopback port:
// it lists the CPUs as threads with symbolized frames, a step at the end of
// history stops with that reason instead of being retried forever, and
// `kill` ends the server.
#include <gtest/gtest.h>

#include "run_util.h"

namespace nestrr::gdbstub {
namespace {

using testing::quote;
using testing::run;
using testing::TcpServer;

std::string lldb_batch(const std::string& program, const std::vector<std::string>& commands) {
  std::string cmd = "timeout 60 lldb-14 --no-use-colors -b";
  for (const auto& c : commands) cmd += " -o " + quote(c);
  return run(cmd + " " + quote(program) + " </dev/null 2>&1");
}

TEST(LldbRecorded, ThreadsFramesAndTheEndOfHistory) {
  auto dir = testing::temp_dir();
  const std::string log = (dir / "assert.nrr").string();
  int status = -1;
  run(quote(ASSERT_PROGRAM) + " " + quote(log), &status);
  ASSERT_EQ(status, 0);
  TcpServer server(NESTRR_BIN, quote(log) + " --elf " + quote(ASSERT_PROGRAM), dir);
  ASSERT_FALSE(server.port().empty());
  // The log's last event is cpu0's assertion: any step forward is at the
  // end. lldb, not knowing replaylog, used to step again forever; the
  // commands after the step only run if the step stopped.
  std::string out = lldb_batch(ASSERT_PROGRAM, {"gdb-remote 127.0.0.1:" + server.port(), "thread list",
                                                "thread step-inst", "thread select 2",
                                                "frame info", "kill"});
  EXPECT_NE(out.find("thread #1: tid = 1"), std::string::npos) << out;
  EXPECT_NE(out.find("thread #2: tid = 2"), std::string::npos) << out;
  EXPECT_NE(out.find("find_current_vmcs12"), std::string::npos) << out;
  EXPECT_NE(out.find("stop reason = end of the replayed history"), std::string::npos) << out;
  EXPECT_NE(out.find("nmi_check_quiesce"), std::string::npos) << out;  // cpu1's frame
  EXPECT_NE(out.find("exited with status = 9"), std::string::npos) << out;
  EXPECT_TRUE(server.wait_for_exit()) << server.stderr_text();
}

}  // namespace
}  // namespace nestrr::gdbstub
