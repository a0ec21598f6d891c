// The progress line of commands that read or replay a whole log: shown on
// a terminal while that takes long, erased before the command's output,
// and never written when stderr is a file or a pipe.
#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace nestrr::test_cli {
namespace {

class ProgressLine : public CliDir {};

// A log that arrives through a FIFO a second after `info` opens it: the
// read takes long enough for the line to show. script(1) gives the command
// a terminal and copies what it wrote there to its stdout.
TEST_F(ProgressLine, ASlowReadOnATerminalSaysHowFarThenClearsTheLine) {
  write("a.nrr", log_bytes({exits(3), exits(3)}));
  CliResult r = sh("mkfifo slow.nrr && ((sleep 1; cat a.nrr) > slow.nrr &) && "
                   "script -qec \"$NESTRR info slow.nrr\" /dev/null </dev/null");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string& tty = r.out;
  const size_t shown = tty.find("slow.nrr: reading: 0.0 MB");
  ASSERT_NE(shown, std::string::npos) << tty;
  const size_t cleared = tty.find("\r\033[K", shown);
  ASSERT_NE(cleared, std::string::npos) << tty;
  // The summary comes after the line was cleared, on a line of its own.
  const size_t summary = tty.find("records: 6", cleared);
  EXPECT_NE(summary, std::string::npos) << tty;
}

// A replay of about a million records takes seconds: the line counts the
// records checked, and the verdict follows on a clean line.
TEST_F(ProgressLine, ALongReplayCountsTheRecordsChecked) {
  // A fixed amount of work (about 1.2M records), not a time limit: under
  // load a one-second recording held too few records for the replay to
  // outlast the line's delay.
  ASSERT_EQ(sh("$NESTRR record --variant fixed --cpus 2 --iterations 15000 --time-limit 120 -q -o race.nrr").code, 0);
  CliResult r = sh("script -qec \"$NESTRR replay race.nrr\" /dev/null </dev/null");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string& tty = r.out;
  const size_t shown = tty.find("race.nrr: replaying: ");
  ASSERT_NE(shown, std::string::npos) << tty.substr(0, 2000);
  EXPECT_NE(tty.find(" records checked\r\033[K", shown), std::string::npos) << tty.substr(0, 2000);
  const size_t cleared = tty.rfind("\r\033[K");
  EXPECT_NE(tty.find("Replay matched the log: ", cleared), std::string::npos) << tty.substr(cleared);
}

TEST_F(ProgressLine, NeverWrittenWhenStderrIsNotATerminal) {
  write("a.nrr", log_bytes({exits(3), exits(3)}));
  CliResult r = sh("mkfifo slow.nrr && ((sleep 1; cat a.nrr) > slow.nrr &) && $NESTRR info slow.nrr");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("reading"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("records: 6"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace nestrr::test_cli
