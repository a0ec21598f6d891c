// Real gdb on a log of about two million records (the fixed variant, two
// CPUs, a fixed number of iterations): the server answers gdb's opening
// packets while it still reads the log, so gdb never times out or falls
// out of step with it, whatever the machine's speed; a continue then
// waits for the log and runs to the end, in both modes.
#include <gtest/gtest.h>

#include <regex>

#include "nestrr/eventlog/log.h"
#include "run_util.h"

namespace nestrr::gdbstub {
namespace {

using testing::quote;
using testing::run;

const std::string& long_log() {
  static const std::string path = [] {
    std::string p = (testing::temp_dir() / "long.nrr").string();
    int status = -1;
    // About 76 records an iteration at two CPUs.
    std::string out = run(quote(NESTRR_BIN) + " record --variant fixed --cpus 2 --iterations 27000 --time-limit 300 -q -o " +
                              quote(p) + " 2>&1",
                          &status);
    EXPECT_EQ(status, 0) << out;
    return p;
  }();
  return path;
}

std::string attach(const std::string& mode) {
  return run("timeout 600 gdb -nx -batch -ex " +
             quote("target remote | " + quote(NESTRR_BIN) + " gdbserver " + quote(long_log()) + mode + " --stdio") +
             " -ex 'info threads' -ex 'monitor when' -ex continue -ex 'monitor when' " + quote(NESTRR_BIN) +
             " </dev/null 2>&1");
}

void expect_in_step(const std::string& out) {
  for (const char* bad : {"Remote replied unexpectedly", "Ignoring packet error", "timed out",
                          "Remote connection closed", "Remote communication error"})
    EXPECT_EQ(out.find(bad), std::string::npos) << bad << " in\n" << out;
  EXPECT_NE(out.find("Thread 1 (cpu0"), std::string::npos) << out;
  EXPECT_NE(out.find("Thread 2 (cpu1"), std::string::npos) << out;
  EXPECT_NE(out.find("No more reverse-execution history."), std::string::npos) << out;
}

TEST(GdbLongLog, RecordedStatesAnswerAtOnceAndContinueReachesTheEnd) {
  const uint64_t records = eventlog::read_log_file(long_log()).event_count();
  EXPECT_GT(records, 1'800'000u);
  std::string out = attach("");
  expect_in_step(out);
  EXPECT_NE(out.find("event " + std::to_string(records - 1) + " of " + std::to_string(records)), std::string::npos)
      << out;
}

TEST(GdbLongLog, LiveReplayAnswersAtOnceAndContinueReachesTheEnd) {
  std::string out = attach(" --live");
  expect_in_step(out);
  std::smatch m;
  std::string last;
  const std::regex when(R"(\nstep (\d+) of (\d+);)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), when); it != std::sregex_iterator(); ++it)
    last = (*it)[1].str() + "/" + (*it)[2].str();
  ASSERT_FALSE(last.empty()) << out;
  EXPECT_EQ(last.substr(0, last.find('/')), last.substr(last.find('/') + 1)) << out;
}

}  // namespace
}  // namespace nestrr::gdbstub
