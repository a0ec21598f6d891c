// `nestrr record` then `nestrr replay` on the binary, as a user runs them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "run_command.h"

namespace fs = std::filesystem;

namespace {

using Result = nestrr::test_cli::CliResult;

Result sh(const fs::path& dir, const std::string& args) {
  return nestrr::test_cli::run_in(dir, "'" NESTRR_BIN "' " + args);
}

TEST(ReplayCli, RecordThenReplayReproducesTheRace) {
  fs::path dir = fs::temp_directory_path() / ("nestrr-replay-cli-" + std::to_string(getpid()));
  fs::create_directories(dir);
  Result rec = sh(dir, "record --variant vmxon-two-flags --cpus 2 --seed 3 --widen vmxon:20000 "
                       "--time-limit 5 -o race.nrr");
  ASSERT_EQ(rec.code, 0) << rec.err;
  EXPECT_NE(rec.err.find("cpu_has_current_vmcs12"), std::string::npos) << rec.err;
  Result rep = sh(dir, "replay race.nrr");
  EXPECT_EQ(rep.code, 0) << rep.err;
  EXPECT_NE(rep.out.find("NMI from cpu1"), std::string::npos) << rep.out;
  EXPECT_NE(rep.out.find("handle_vmxon"), std::string::npos) << rep.out;
  EXPECT_NE(rep.out.find("Replay matched the log"), std::string::npos) << rep.out;
  EXPECT_EQ(sh(dir, "replay missing.nrr").code, 3);
  EXPECT_EQ(sh(dir, "record --variant nope -o x.nrr").code, 2);
  fs::remove_all(dir);
}

// Ctrl-C ends a recording as its time limit would: the log is complete
// (cuts, trailers) and replays in one pass. The signal goes once the log
// has bytes (the handler is in place by then): on a loaded machine a fixed
// delay can land before it and the recording would run to its time limit.
TEST(ReplayCli, InterruptedRecordingReplays) {
  fs::path dir = fs::temp_directory_path() / ("nestrr-replay-int-" + std::to_string(getpid()));
  fs::create_directories(dir);
  Result rec = nestrr::test_cli::run_in(
      dir, "{ '" NESTRR_BIN "' record --variant fixed --cpus 4 --time-limit 20 -q -o int.nrr & "
           "pid=$!; while [ ! -s int.nrr ]; do sleep 0.05; done; sleep 0.3; "
           "kill -INT $pid; wait $pid; }");
  ASSERT_EQ(rec.code, 0) << rec.err;
  EXPECT_NE(rec.err.find("interrupted"), std::string::npos) << rec.err;
  Result rep = sh(dir, "replay int.nrr");
  EXPECT_EQ(rep.code, 0) << rep.err;
  EXPECT_NE(rep.out.find("(attempts: 1)"), std::string::npos) << rep.out;
  fs::remove_all(dir);
}

// --goto: one pass, then to each record, forward or back; every CPU's
// state printed there. A record past the end is a usage error.
TEST(ReplayCli, GotoGoesForwardAndBack) {
  fs::path dir = fs::temp_directory_path() / ("nestrr-replay-goto-" + std::to_string(getpid()));
  fs::create_directories(dir);
  ASSERT_EQ(sh(dir, "record --variant fixed --cpus 2 --iterations 40 -q -o g.nrr").code, 0);
  Result rep = sh(dir, "replay g.nrr --goto 2000 --goto 10 --goto 1500");
  ASSERT_EQ(rep.code, 0) << rep.err;
  EXPECT_NE(rep.out.find("First pass: "), std::string::npos) << rep.out;
  for (const char* rec : {"Record 2000: step", "Record 10: step", "Record 1500: step"})
    EXPECT_NE(rep.out.find(rec), std::string::npos) << rep.out;
  EXPECT_NE(rep.out.find("cpu1: "), std::string::npos) << rep.out;
  EXPECT_NE(rep.out.find("<- ran last"), std::string::npos) << rep.out;
  Result past = sh(dir, "replay g.nrr --goto 999999999");
  EXPECT_EQ(past.code, 2) << past.err;
  EXPECT_NE(past.err.find("the replay checks"), std::string::npos) << past.err;
  fs::remove_all(dir);
}

}  // namespace
