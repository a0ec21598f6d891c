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
// (cuts, trailers) and replays in one pass.
TEST(ReplayCli, InterruptedRecordingReplays) {
  fs::path dir = fs::temp_directory_path() / ("nestrr-replay-int-" + std::to_string(getpid()));
  fs::create_directories(dir);
  Result rec = nestrr::test_cli::run_in(
      dir, "{ '" NESTRR_BIN "' record --variant fixed --cpus 4 --time-limit 60 -q -o int.nrr & "
           "pid=$!; sleep 0.5; kill -INT $pid; wait $pid; }");
  ASSERT_EQ(rec.code, 0) << rec.err;
  EXPECT_NE(rec.err.find("interrupted"), std::string::npos) << rec.err;
  Result rep = sh(dir, "replay int.nrr");
  EXPECT_EQ(rep.code, 0) << rep.err;
  EXPECT_NE(rep.out.find("(attempts: 1)"), std::string::npos) << rep.out;
  fs::remove_all(dir);
}

}  // namespace
