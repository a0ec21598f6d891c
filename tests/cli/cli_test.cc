// End-to-end tests of the `nestrr` command: exit codes, outputs that other
// tools read (protoc, JSON), capture from files, stdin and TCP with Ctrl-C.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/writer.h"
#include "run_command.h"

namespace fs = std::filesystem;

namespace {

using nestrr::test_cli::slurp;
using Result = nestrr::test_cli::CliResult;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nestrr-cli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs a shell command line with `nestrr` standing for the binary.
  Result sh(const std::string& cmd) { return nestrr::test_cli::run_in(dir_, "NESTRR='" NESTRR_BIN "' && " + cmd); }

  // A small clean log: header, two CPUs' chunks, trailers.
  fs::path write_log(const std::string& name) {
    std::ofstream f(dir_ / name, std::ios::binary);
    nestrr::eventlog::StreamWriter w(f);
    nestrr::v1::Header h;
    h.set_format_version(2);
    h.set_cpu_count(2);
    h.set_tsc_hz(1000000000);
    w.header(h);
    w.text("XMHF: booting");
    for (uint32_t cpu = 0; cpu < 2; cpu++) {
      std::vector<nestrr::v1::Record> recs(3);
      for (auto& r : recs) {
        r.set_dt(1000);
        r.mutable_vm_exit()->set_reason(10);
      }
      recs[1].mutable_vm_exit()->set_from_l2(true);
      w.chunk(cpu, 0, 5000 + cpu, recs);
      w.trailer(cpu, 3);
    }
    return dir_ / name;
  }

  fs::path dir_;
};

TEST_F(Cli, HelpListsCommandsAndExitCodes) {
  Result r = sh("$NESTRR --help");
  EXPECT_EQ(r.code, 0);
  for (const char* word : {"capture", "info", "dump", "export", "demo", "Exit codes"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
}

TEST_F(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(sh("$NESTRR").code, 2);
  EXPECT_EQ(sh("$NESTRR frobnicate").code, 2);
  write_log("a.nrr");
  Result r = sh("$NESTRR dump a.nrr --kind no_such_kind");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no_such_kind"), std::string::npos) << r.err;
}

TEST_F(Cli, BadWorkloadsAndMissingLogAreUsageErrors) {
  Result r = sh("$NESTRR record --workload l1,bogus -o x.nrr");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown workload 'bogus'"), std::string::npos) << r.err;
  r = sh("$NESTRR explore --variant fixed --workload l1,l1,l1,l1,l1,l1,l1,l1,l1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("at most"), std::string::npos) << r.err;
  r = sh("$NESTRR check");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("a log file is needed"), std::string::npos) << r.err;
  r = sh("$NESTRR check --list");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("vmcs02-gpa-fields-match-ept01"), std::string::npos) << r.out;
}

TEST_F(Cli, MissingInputExitsThreeNamingTheFile) {
  Result r = sh("$NESTRR info does-not-exist.nrr");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("does-not-exist.nrr"), std::string::npos) << r.err;
}

TEST_F(Cli, InfoCountsAndStrict) {
  write_log("a.nrr");
  Result r = sh("$NESTRR info --strict a.nrr");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("cpus: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("vm_exit: 6"), std::string::npos) << r.out;
  // Cut the file in the middle of the last frame: --strict now says 4.
  std::string bytes = slurp(dir_ / "a.nrr");
  std::ofstream(dir_ / "cut.nrr", std::ios::binary) << bytes.substr(0, bytes.size() - 5);
  EXPECT_EQ(sh("$NESTRR info --strict cut.nrr").code, 4);
  EXPECT_EQ(sh("$NESTRR info cut.nrr").code, 0);
}

TEST_F(Cli, DumpFiltersAndJson) {
  write_log("a.nrr");
  Result r = sh("$NESTRR dump a.nrr --cpu 1");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  EXPECT_EQ(r.out.find("cpu0"), std::string::npos) << r.out;
  r = sh("$NESTRR dump a.nrr --json | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]; print(\"ok\")'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
}

TEST_F(Cli, ProtocDecodesARawPacket) {
  write_log("a.nrr");
  // Frame 0 is the header, frame 1 the first chunk.
  Result r = sh("$NESTRR dump a.nrr --raw-packet 1 > p.bin && protoc --decode=nestrr.v1.Packet -I '" NESTRR_PROTO_DIR
                "' '" NESTRR_PROTO_DIR "/nestrr.proto' < p.bin");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("vm_exit {"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reason: 10"), std::string::npos) << r.out;
  EXPECT_EQ(sh("$NESTRR dump a.nrr --raw-packet 99 > p.bin").code, 2);  // no such frame: usage
}

TEST_F(Cli, ChromeTraceIsJsonWithOneTrackPerCpu) {
  write_log("a.nrr");
  Result r = sh("$NESTRR export a.nrr --chrome-trace t.json && python3 -c 'import json; d=json.load(open(\"t.json\")); "
                "ev=d[\"traceEvents\"]; "
                "print(\",\".join(sorted(e[\"args\"][\"name\"] for e in ev if e.get(\"name\")==\"thread_name\")), "
                "sum(1 for e in ev if e.get(\"ph\")==\"i\" and e.get(\"name\")==\"vm_exit\"))'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "console,cpu0,cpu1 6\n");
}

TEST_F(Cli, CaptureFromFileAndStdinKeepsEveryByte) {
  fs::path log = write_log("a.nrr");
  EXPECT_EQ(sh("$NESTRR capture -q --from a.nrr -o b.nrr").code, 0);
  EXPECT_EQ(slurp(dir_ / "b.nrr"), slurp(log));
  EXPECT_EQ(sh("$NESTRR capture -q --from - -o c.nrr < a.nrr").code, 0);
  EXPECT_EQ(slurp(dir_ / "c.nrr"), slurp(log));
  Result r = sh("$NESTRR capture --from tty:/dev/null@115200 -o d.nrr");
  EXPECT_EQ(r.code, 3) << r.err;
}

TEST_F(Cli, CaptureFromTcpStopsCleanlyOnSigint) {
  // A relay that sends a log and then keeps the connection open, silent.
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(lfd, 1), 0);
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  std::string bytes = slurp(write_log("a.nrr"));
  std::thread relay([&] {
    int fd = accept(lfd, nullptr, nullptr);
    if (fd < 0) return;
    (void)!write(fd, bytes.data(), bytes.size());
    char c;
    (void)!read(fd, &c, 1);  // until the client goes away
    close(fd);
  });
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string out = (dir_ / "tcp.nrr").string();
    std::string from = "tcp:127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    execl(NESTRR_BIN, NESTRR_BIN, "capture", "-q", "--from", from.c_str(), "-o", out.c_str(), (char*)nullptr);
    _exit(127);
  }
  // Wait until every byte is on disk, then Ctrl-C.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (slurp(dir_ / "tcp.nrr").size() < bytes.size() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(pid, SIGINT);
  int st = 0;
  waitpid(pid, &st, 0);
  relay.join();
  close(lfd);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
  EXPECT_EQ(slurp(dir_ / "tcp.nrr"), bytes);
}

TEST_F(Cli, DemoChecksItselfAgainstTheNoise) {
  Result r = sh("$NESTRR demo -o demo.nrr --race-output race.nrr --flush-output flush.nrr --seed 3");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("exact:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("quiesce_begin"), std::string::npos) << r.out;
  // The seed's two bugs: the race replayed with its interleaving and stack,
  // and the stale VMCS02 field found by the checker.
  EXPECT_NE(r.out.find("landed after \"is_vmx_operation = 1\", before \"is_vmx_root_operation = 1\""),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("find_current_vmcs12"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("handle_vmxon"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the field is stale"), std::string::npos) << r.out;
  EXPECT_EQ(sh("$NESTRR replay race.nrr").code, 0);
  EXPECT_EQ(sh("$NESTRR check flush.nrr").code, 6);
  auto log = nestrr::eventlog::read_log_file(dir_ / "demo.nrr");
  EXPECT_EQ(log.streams.size(), 2u);
}

// Without QEMU the demo says so and still succeeds; --no-testbox skips the
// part without a word about QEMU.
TEST_F(Cli, DemoWithoutQemuSkipsTheTestboxSayingWhy) {
  Result r = sh("PATH=/nonexistent $NESTRR demo --seed 3 --testbox-output tb.nrr");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("skipped: qemu-system-x86_64 is not installed"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "tb.nrr"));
  Result off = sh("$NESTRR demo --seed 3 --no-testbox --testbox-output tb.nrr");
  EXPECT_EQ(off.code, 0) << off.out << off.err;
  EXPECT_EQ(off.out.find("== 10."), std::string::npos) << off.out;
  EXPECT_FALSE(fs::exists(dir_ / "tb.nrr"));
}

// A host recording carries nestrr's own module table: its stack is
// symbolized without --elf, and an --elf that is none of its modules is
// refused with the build-ids rather than ignored.
TEST_F(Cli, HostLogsSymbolizeThemselvesAndRefuseAForeignElf) {
  ASSERT_EQ(sh("$NESTRR record --variant vmxon-two-flags --seed 7 --widen vmxon:20000 -q -o race.nrr").code, 0);
  Result info = sh("$NESTRR info race.nrr");
  EXPECT_NE(info.out.find("module: " NESTRR_BIN " build-id "), std::string::npos) << info.out;
  Result stack = sh("$NESTRR stack race.nrr");
  EXPECT_EQ(stack.code, 0) << stack.out << stack.err;
  EXPECT_NE(stack.out.find("find_current_vmcs12"), std::string::npos) << stack.out;
  EXPECT_NE(stack.out.find("handle_vmxon"), std::string::npos) << stack.out;
  Result foreign = sh("$NESTRR stack race.nrr --elf /bin/true");
  EXPECT_EQ(foreign.code, 3) << foreign.out << foreign.err;
  EXPECT_NE(foreign.err.find("--elf /bin/true (build-id "), std::string::npos) << foreign.err;
  EXPECT_NE(foreign.err.find("is none of the log's modules"), std::string::npos) << foreign.err;
}

}  // namespace

// Scale-out on one box, as docs/scale-out.md shows it: GNU parallel runs 4
// shards with their index, explore-merge combines their results; the merged
// report and minimized logs are those of the same search run in one piece.
TEST_F(Cli, ExploreShardsRunByGnuParallelMergeToTheWholeRun) {
  ASSERT_EQ(sh("command -v parallel").code, 0) << "GNU parallel is missing (scripts/setup installs it)";
  const std::string search =
      "$NESTRR explore --variant vmxon-two-flags --cpus 3 --iterations 2 --seed 5 --schedules 40 "
      "--all -q";
  Result whole = sh(search + " -o whole.nrr");
  ASSERT_EQ(whole.code, 6) << whole.err;
  Result shards = sh("parallel --will-cite --halt now,fail=1 " + search +
                     " --shard {}/4 --result shard-{}.json ::: 0 1 2 3");
  ASSERT_EQ(shards.code, 0) << shards.err;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(fs::exists(dir_ / ("shard-" + std::to_string(i) + ".json")));
  Result merged = sh("$NESTRR explore-merge shard-*.json -o merged.nrr --result merged.json");
  ASSERT_EQ(merged.code, 6) << merged.err;
  // Every line but the timing of the first and the log paths.
  auto body = [](const std::string& out, const std::string& log) {
    std::string first = out.substr(0, out.find('\n'));
    std::string counts = first.substr(first.rfind(": ") + 2);
    counts = counts.substr(0, counts.find(" in "));
    std::string rest = out.substr(out.find('\n') + 1);
    for (size_t at; (at = rest.find(log)) != std::string::npos;) rest.replace(at, log.size(), "LOG");
    return counts + "\n" + rest.substr(0, rest.find("result written"));
  };
  EXPECT_EQ(body(merged.out, "merged"), body(whole.out, "whole")) << merged.out << "\n---\n" << whole.out;
  EXPECT_NE(merged.out.find("4 shards merged"), std::string::npos) << merged.out;
  size_t logs = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    std::string name = e.path().filename().string();
    if (name.rfind("whole", 0) != 0) continue;
    fs::path twin = dir_ / ("merged" + name.substr(5));
    ASSERT_TRUE(fs::exists(twin)) << name;
    // Byte for byte past the header, whose module table holds each
    // process's own load bias.
    auto records = [](const std::string& log) { return log.substr(log.find('\n') + 1); };
    EXPECT_EQ(records(slurp(e.path())), records(slurp(twin))) << name;
    logs++;
  }
  EXPECT_GT(logs, 1u);
  // A shard missing, or one of another search, is refused.
  fs::remove(dir_ / "shard-2.json");
  Result gap = sh("$NESTRR explore-merge shard-*.json");
  EXPECT_EQ(gap.code, 2);
  EXPECT_NE(gap.err.find("missing shard(s) 2 of 4"), std::string::npos) << gap.err;
  EXPECT_EQ(sh("$NESTRR explore --shard 4/4").code, 2);
  EXPECT_EQ(sh("$NESTRR explore-merge nothing.json").code, 3);
}
