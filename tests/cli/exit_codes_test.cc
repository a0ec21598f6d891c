// Each entry of the exit-code table (docs/cli.md), shown by a command that
// must give it, and the table itself in --help of every command.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_fixture.h"
#include "nestrr/eventlog/log.h"

namespace {

using nestrr::test_cli::CliResult;
using nestrr::v1::VMX_MODE_DISABLED;
using nestrr::v1::VMX_MODE_NON_ROOT;
using nestrr::v1::VMX_MODE_ROOT;

class ExitCodes : public nestrr::test_cli::CliDir {
 protected:
  // A replayable run of the core, recorded once for the tests that need one.
  void record(const std::string& name) {
    CliResult r = sh("$NESTRR record --variant fixed --cpus 2 --iterations 20 -q -o " + name);
    ASSERT_EQ(r.code, 0) << r.err;
  }
  // The log without the chunk frame that carried the middle record of
  // cpu1's stream: records lost in transport after some that replay.
  void drop_chunk(const std::string& from, const std::string& to) {
    const std::string bytes = read(from);
    auto log = nestrr::eventlog::read_log_file(dir_ / from);
    ASSERT_EQ(log.streams.size(), 2u);
    const auto& ev = log.streams[1].events;
    ASSERT_GT(ev.size(), 100u);
    const uint64_t at = ev[ev.size() / 2].stream_offset;
    ASSERT_GT(ev[ev.size() / 2].seq, ev.front().seq);
    ASSERT_GT(at, ev.front().stream_offset);  // not cpu1's first frame
    const size_t end = bytes.find('\n', at);
    ASSERT_NE(end, std::string::npos);
    write(to, bytes.substr(0, at) + bytes.substr(end + 1));
  }
};

TEST_F(ExitCodes, EveryHelpEndsWithTheTableOnce) {
  for (const char* cmd : {"", "info", "dump", "export", "check", "replay", "capture", "record", "explore",
                          "explore-merge", "stack", "listing", "report", "core", "gdbserver", "symbolize"}) {
    CliResult r = sh(std::string("$NESTRR ") + cmd + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    const std::string title = "Exit codes (the same for every command)";
    const size_t first = r.out.find(title);
    EXPECT_NE(first, std::string::npos) << cmd;
    // Once: a subcommand must not repeat the table it got from the top level.
    if (first != std::string::npos) EXPECT_EQ(r.out.find(title, first + 1), std::string::npos) << cmd;
    for (const char* row : {"  0  done", "  2  bad usage", "  3  input missing", "  4  the log was read with loss",
                            "  5  replay", "  6  check"})
      EXPECT_NE(r.out.find(row), std::string::npos) << cmd << ": " << row;
  }
}

TEST_F(ExitCodes, ZeroDone) {
  write("a.nrr", log_bytes({exits(3), exits(3)}));
  EXPECT_EQ(sh("$NESTRR info --strict a.nrr").code, 0);
  EXPECT_EQ(sh("$NESTRR check a.nrr").code, 0);
  EXPECT_EQ(sh("$NESTRR dump --strict a.nrr").code, 0);
}

TEST_F(ExitCodes, OneFailedOtherwise) {
  write("a.nrr", log_bytes({exits(3), exits(3)}));
  CliResult r = sh("$NESTRR export a.nrr --chrome-trace no-such-dir/t.json");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("no-such-dir/t.json"), std::string::npos) << r.err;
  r = sh("$NESTRR capture -q --from a.nrr -o /dev/full");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
}

TEST_F(ExitCodes, TwoBadUsage) {
  write("a.nrr", log_bytes({exits(3), exits(3)}));
  EXPECT_EQ(sh("$NESTRR info a.nrr --no-such-option").code, 2);
  EXPECT_EQ(sh("$NESTRR info").code, 2);
  CliResult r = sh("$NESTRR dump a.nrr --raw-packet 99 > p.bin");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("there is no frame 99"), std::string::npos) << r.err;
}

// record, explore and testbox share one scenario grammar: the same bad word
// is refused the same way by each, naming the option, before anything runs
// (testbox before QEMU starts).
TEST_F(ExitCodes, TwoBadScenarioWordsInEveryScenarioVerb) {
  const struct {
    const char* words;
    const char* says;
  } bad[] = {
      {"--variant nosuch", "--variant: unknown variant 'nosuch'"},
      {"--workload l1,bogus", "--workload: unknown workload 'bogus'"},
      {"--cpus 0", "--cpus"},
  };
  for (const char* verb : {"record -o r.nrr", "explore -o e.nrr", "testbox --timeout 1 -o t.nrr"})
    for (const auto& b : bad) {
      CliResult r = sh(std::string("$NESTRR ") + verb + " -q " + b.words);
      EXPECT_EQ(r.code, 2) << verb << " " << b.words << ": " << r.err;
      EXPECT_NE(r.err.find(b.says), std::string::npos) << verb << " " << b.words << ": " << r.err;
    }
  for (const char* verb : {"record -o r.nrr", "testbox --timeout 1 -o t.nrr"}) {
    CliResult r = sh(std::string("$NESTRR ") + verb + " -q --widen nowhere:5");
    EXPECT_EQ(r.code, 2) << verb << ": " << r.err;
    EXPECT_NE(r.err.find("--widen: "), std::string::npos) << verb << ": " << r.err;
  }
  // explore offers no --widen (its search sets the timing) and wants runs that end.
  EXPECT_EQ(sh("$NESTRR explore -q --widen vmxon:5").code, 2);
  EXPECT_EQ(sh("$NESTRR explore -q --iterations 0").code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "t.nrr"));
}

TEST_F(ExitCodes, ThreeUnreadableOrNotALog) {
  EXPECT_EQ(sh("$NESTRR info missing.nrr").code, 3);
  write("junk.nrr", "not a log\n");
  EXPECT_EQ(sh("$NESTRR check junk.nrr").code, 3);
  // A log, but not one replay can use: no scenario.
  write("a.nrr", log_bytes({exits(3), exits(3)}));
  CliResult r = sh("$NESTRR replay a.nrr");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("no scenario"), std::string::npos) << r.err;
}

TEST_F(ExitCodes, FourLossTheResultDependsOn) {
  // check: a lost mode change makes the chain unknown, not violated.
  std::vector<nestrr::v1::Record> c0 = {mode(VMX_MODE_DISABLED, VMX_MODE_ROOT),
                                        mode(VMX_MODE_ROOT, VMX_MODE_NON_ROOT),
                                        mode(VMX_MODE_NON_ROOT, VMX_MODE_ROOT)};
  write("whole.nrr", log_bytes({c0}));
  EXPECT_EQ(sh("$NESTRR check whole.nrr").code, 0);
  std::string bytes;
  nestrr::eventlog::StreamWriter w([&](std::string_view b) { bytes.append(b); });
  nestrr::v1::Header h;
  h.set_format_version(3);
  h.set_cpu_count(1);
  w.header(h);
  w.chunk(0, 0, 100, std::vector<nestrr::v1::Record>{c0[0]});
  w.chunk(0, 2, 400, std::vector<nestrr::v1::Record>{c0[2]});  // #1 lost
  w.trailer(0, 3);
  write("lossy.nrr", bytes);
  CliResult r = sh("$NESTRR check lossy.nrr");
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_NE(r.out.find("vmx-mode-changes-chain: unknown"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unless a record was lost in: cpu0 #1 to #1"), std::string::npos) << r.out;
  // --strict: any loss.
  EXPECT_EQ(sh("$NESTRR info lossy.nrr").code, 0);
  EXPECT_EQ(sh("$NESTRR info --strict lossy.nrr").code, 4);
  EXPECT_EQ(sh("$NESTRR export --strict lossy.nrr --chrome-trace t.json").code, 4);
  EXPECT_EQ(sh("$NESTRR dump --strict lossy.nrr").code, 4);
}

// replay: a frame lost in the middle; the replay runs up to it and stops
// there, the same whether it reads the file front to back or whole.
TEST_F(ExitCodes, FourReplayStoppedAtLoss) {
  record("run.nrr");
  drop_chunk("run.nrr", "gap.nrr");
  for (const char* cmd : {"$NESTRR replay gap.nrr", "$NESTRR replay - < gap.nrr", "$NESTRR replay gap.nrr --goto 1"}) {
    CliResult r = sh(cmd);
    SCOPED_TRACE(cmd);
    EXPECT_EQ(r.code, 4) << r.out << r.err;
    EXPECT_NE(r.err.find("replay stopped at loss: cpu"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("were lost in transport"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("records before it matched the log"), std::string::npos) << r.err;
  }
  // The front-to-back and the whole-log replay stop at the same place.
  CliResult a = sh("$NESTRR replay gap.nrr"), b = sh("$NESTRR replay - < gap.nrr");
  EXPECT_EQ(a.out, b.out);
}

TEST_F(ExitCodes, FiveReplayDiverged) {
  record("run.nrr");
  // Change one VM exit's reason: the re-execution logs the real one.
  auto log = nestrr::eventlog::read_log_file(dir_ / "run.nrr");
  bool changed = false;
  for (auto& s : log.streams)
    for (auto& e : s.events)
      if (!changed && e.record.has_vm_exit()) {
        e.record.mutable_vm_exit()->set_reason(e.record.vm_exit().reason() + 1);
        changed = true;
      }
  ASSERT_TRUE(changed);
  std::string bytes;
  nestrr::eventlog::StreamWriter w([&](std::string_view b) { bytes.append(b); });
  w.header(*log.header);
  for (const auto& s : log.streams) {
    w.chunk(std::span<const nestrr::eventlog::Event>(s.events.data(), s.events.size()));
    w.trailer(s.cpu, s.trailer->next_seq(), s.trailer->dropped());
  }
  write("tampered.nrr", bytes);
  CliResult r = sh("$NESTRR replay tampered.nrr");
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_NE(r.err.find("replay diverged"), std::string::npos) << r.err;
}

TEST_F(ExitCodes, SixInvariantViolated) {
  // A break in the chain that no loss explains.
  std::vector<nestrr::v1::Record> c0 = {mode(VMX_MODE_DISABLED, VMX_MODE_ROOT),
                                        mode(VMX_MODE_DISABLED, VMX_MODE_NON_ROOT)};
  write("broken.nrr", log_bytes({c0}));
  CliResult r = sh("$NESTRR check broken.nrr");
  EXPECT_EQ(r.code, 6) << r.out;
  EXPECT_NE(r.out.find("vmx-mode-changes-chain: violated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("outcome: violated"), std::string::npos) << r.out;
}

}  // namespace
