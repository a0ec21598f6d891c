// gdb's machine interface (gdb -i=mi), the protocol IDE front ends such
// as VS Code's C/C++ debuggers speak, driven through the seed's question:
// attach to the live replay, break in the VMXON handler going backward,
// watch the flag (a console command through MI, as front ends pass them),
// and find its store both ways.
#include <gtest/gtest.h>

#include <fstream>

#include "race_log.h"
#include "run_util.h"

namespace nestrr::gdbstub {
namespace {

using testing::quote;
using testing::race;
using testing::run;

TEST(GdbMi, AttachBreakReverseContinueAndWatch) {
  const auto& r = race();
  ASSERT_TRUE(r.ok);
  auto dir = testing::temp_dir();
  const std::string script = (dir / "mi.txt").string();
  {
    std::ofstream f(script);
    f << "-target-select remote | " << NESTRR_BIN << " gdbserver " << r.log << " --live --stdio\n"
      << "-thread-info\n"
      << "-break-insert handle_vmxon\n"
      << "-exec-continue --reverse\n"
      << "-break-delete 1\n"
      << "-interpreter-exec console \"watch -l v->is_vmx_operation\"\n"
      << "-exec-continue\n"
      << "-exec-continue --reverse\n"
      << "-gdb-exit\n";
  }
  std::string out = run("timeout 120 gdb -nx -i=mi " + quote(NESTRR_BIN) + " <" + quote(script) + " 2>&1");
  const std::string thread = std::to_string(r.failing_cpu + 1);
  EXPECT_NE(out.find("^connected"), std::string::npos) << out;
  EXPECT_NE(out.find("^done,threads=[{id=\"1\""), std::string::npos) << out;
  EXPECT_NE(out.find("*stopped,reason=\"breakpoint-hit\",disp=\"keep\",bkptno=\"1\",frame={addr="),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("func=\"handle_vmxon\""), std::string::npos) << out;
  EXPECT_NE(out.find("thread-id=\"" + thread + "\""), std::string::npos) << out;
  // Forward from the entry: the store sets it; backward: the same store,
  // seen from after it.
  EXPECT_NE(out.find("*stopped,reason=\"watchpoint-trigger\",wpt={number=\"2\",exp=\"-location v->is_vmx_operation\"},"
                     "value={old=\"0\",new=\"1\"}"),
            std::string::npos)
      << out;
  // Backward from right after the store: that same store, at its line,
  // not an earlier VMXON's.
  const std::string store_line = std::to_string(testing::core_line("vmx_insn.c", "v->is_vmx_operation = 1;"));
  const size_t back = out.find("value={old=\"1\",new=\"0\"}");
  ASSERT_NE(back, std::string::npos) << out;
  const std::string back_stop = out.substr(back, out.find('\n', back) - back);
  EXPECT_NE(back_stop.find("line=\"" + store_line + "\""), std::string::npos) << back_stop;
  EXPECT_EQ(out.find("^error"), std::string::npos) << out;
}

}  // namespace
}  // namespace nestrr::gdbstub
