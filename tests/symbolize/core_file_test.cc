// `nestrr core` in the real gdb: assert_program's log becomes a core file;
// `gdb -batch` must list one thread per CPU and, on the failing CPU, the
// same functions in the same order as `nestrr stack`.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "run_command.h"

namespace fs = std::filesystem;

namespace {

using Result = nestrr::test_cli::CliResult;

// "(anonymous namespace)::Flusher::flush_ept02" -> "flush_ept02".
std::string short_name(std::string name) {
  size_t colon = name.rfind("::");
  if (colon != std::string::npos) name = name.substr(colon + 2);
  return name;
}

// Function names of "#N  [0x... in ]NAME (..." lines, innermost first.
std::vector<std::string> frame_names(const std::string& text, bool stop_outside_modules) {
  std::vector<std::string> out;
  std::istringstream in(text);
  static const std::regex frame(R"(^#(\d+) +(0x[0-9a-f]+ in )?(.*)$)");
  int expect = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, frame)) continue;
    if (std::stoi(m[1]) != expect) break;  // a second backtrace starts
    expect++;
    std::string rest = m[3];
    std::string name = rest.substr(0, rest.find(" ("));
    if (stop_outside_modules && name == "??") break;
    out.push_back(short_name(name));
  }
  return out;
}

class CoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("nestrr-core-" + std::to_string(getpid())));
    fs::create_directories(*dir_);
    std::string cmd = std::string("'") + ASSERT_PROGRAM + "' '" + (*dir_ / "run.nrr").string() + "' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static Result sh(const std::string& command) { return nestrr::test_cli::run_in(*dir_, command); }
  static Result nestrr(const std::string& args) { return sh(std::string("'") + NESTRR_BIN + "' " + args); }
  static Result gdb(const std::string& core, const std::string& commands) {
    return sh(std::string("gdb -nx -batch ") + commands + " '" + ASSERT_PROGRAM + "' '" + core + "'");
  }
  static fs::path* dir_;
};
fs::path* CoreTest::dir_;

TEST_F(CoreTest, GdbShowsOneThreadPerCpuAndTheStackOfNestrrStack) {
  auto stack = nestrr("stack run.nrr --gdb --elf '" ASSERT_PROGRAM "'");
  ASSERT_EQ(stack.code, 0) << stack.err;
  auto core = nestrr("core run.nrr --elf '" ASSERT_PROGRAM "' -o core.elf");
  ASSERT_EQ(core.code, 0) << core.err;
  EXPECT_NE(core.err.find("2 threads"), std::string::npos) << core.err;

  auto g = gdb("core.elf", "-ex 'info threads' -ex bt");
  ASSERT_EQ(g.code, 0) << g.out << g.err;
  // assert_program logs two CPUs: two threads, the failing CPU selected.
  std::regex thread_row(R"(^\*? +\d+ +LWP \d+ )");
  int threads = 0;
  std::istringstream rows(g.out);
  for (std::string line; std::getline(rows, line);) threads += std::regex_search(line, thread_row);
  EXPECT_EQ(threads, 2) << g.out;
  EXPECT_NE(g.out.find("* 1    LWP 1 "), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("signal SIGABRT"), std::string::npos) << g.out << g.err;

  // gdb stops at main (backtrace past-main is off); nestrr goes on into
  // the C library, outside the logged modules.
  auto ours = frame_names(stack.out, true);
  size_t bt_at = g.out.rfind("\n#0 ");  // the bt command's, after the load banner's
  ASSERT_NE(bt_at, std::string::npos) << g.out;
  auto theirs = frame_names(g.out.substr(bt_at + 1), false);
  const std::vector<std::string> program = {"find_current_vmcs12", "flush_effect", "flush_ept02",
                                            "nmi_check_quiesce", "main"};
  EXPECT_EQ(ours, program) << stack.out;
  EXPECT_EQ(theirs, ours) << g.out << g.err;
  EXPECT_EQ(g.err.find("Cannot access memory"), std::string::npos) << g.err;
}

TEST_F(CoreTest, TheNmiCpuIsAThreadAtItsInterruptedRip) {
  auto core = nestrr("core run.nrr --elf '" ASSERT_PROGRAM "' -o core.elf");
  ASSERT_EQ(core.code, 0) << core.err;
  auto g = gdb("core.elf", "-ex 'thread 2' -ex bt");
  ASSERT_EQ(g.code, 0) << g.out << g.err;
  size_t bt_at = g.out.rfind("\n#0 ");  // the bt command's, after the load banner's
  ASSERT_NE(bt_at, std::string::npos) << g.out;
  auto names = frame_names(g.out.substr(bt_at + 1), false);
  ASSERT_FALSE(names.empty()) << g.out;
  EXPECT_EQ(names[0], "nmi_check_quiesce") << g.out;
}

TEST_F(CoreTest, CoreAtTheNmiEventSelectsTheNmiCpu) {
  // Event 0 of the merged timeline is CPU 1's NMI: CPU 0 has no record
  // with registers yet, so its thread is all zeros.
  auto core = nestrr("core run.nrr --elf '" ASSERT_PROGRAM "' --event 0 -o nmi.elf");
  ASSERT_EQ(core.code, 0) << core.err;
  EXPECT_NE(core.err.find("LWP 2 = cpu1: RIP only"), std::string::npos) << core.err;
  EXPECT_NE(core.err.find("LWP 1 = cpu0: no registers"), std::string::npos) << core.err;
  auto g = gdb("nmi.elf", "-ex 'info threads'");
  ASSERT_EQ(g.code, 0) << g.out << g.err;
  EXPECT_NE(g.out.find("* 1    LWP 2 "), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("nmi_check_quiesce"), std::string::npos) << g.out;
}

TEST_F(CoreTest, BadInput) {
  // Past the log's end: an argument naming what the log does not have.
  EXPECT_EQ(nestrr("core run.nrr --elf '" ASSERT_PROGRAM "' --event 100000 -o x.elf").code, 2);
  EXPECT_EQ(nestrr("core run.nrr --elf '" ASSERT_PROGRAM "'").code, 2);  // -o is required
  auto mismatch = nestrr("core run.nrr --elf '" NESTRR_BIN "' -o x.elf");
  EXPECT_EQ(mismatch.code, 3);
  EXPECT_NE(mismatch.err.find("build-id"), std::string::npos) << mismatch.err;
  auto unwritable = nestrr("core run.nrr --elf '" ASSERT_PROGRAM "' -o no-such-dir/core.elf");
  EXPECT_EQ(unwritable.code, 1);
  EXPECT_NE(unwritable.err.find("no-such-dir/core.elf"), std::string::npos) << unwritable.err;
}

}  // namespace
