// Commands that summarize or export a log read it in bounded memory:
// `nestrr info` on a log of ten million records, written by the real
// logger, stays under 64 MB of resident memory and counts every record;
// `check`, `export` and `dump` say and write what the whole read does,
// and `capture` keeps counts only, under the same bound.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "nestrr/logger.h"

namespace nestrr::test_cli {
namespace {

constexpr uint64_t kRecords = 10'000'000;
constexpr long kBoundKiB = 64 * 1024;

// `count` records on 4 CPUs, mostly VM exits, with a quiesce (begin, an NMI
// and an ack per other CPU, an EPT01 change, end) every 100,000.
uint64_t write_long_log(const std::filesystem::path& path, uint64_t count) {
  FILE* f = std::fopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  constexpr uint32_t kCpus = 4;
  std::vector<uint64_t> mem(NESTRR_LOGGER_MEMORY_BYTES(kCpus, 256 * 1024) / 8 + 1);
  uint64_t now = 1'000'000;
  nestrr_config cfg{};
  cfg.cpu_count = kCpus;
  cfg.ring_bytes = 256 * 1024;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = mem.data();
  cfg.memory_bytes = mem.size() * 8;
  cfg.write = [](void* ctx, const char* p, unsigned long n) { std::fwrite(p, 1, n, static_cast<FILE*>(ctx)); };
  cfg.write_ctx = f;
  cfg.clock = [](void* ctx) { return *static_cast<uint64_t*>(ctx); };
  cfg.clock_ctx = &now;
  cfg.dt_shift = 6;
  static nestrr_logger lg;
  EXPECT_TRUE(nestrr_logger_init(&lg, &cfg));
  uint64_t logged = 0, generation = 0;
  while (logged < count) {
    const uint32_t cpu = static_cast<uint32_t>(logged % kCpus);
    now += 700 + (logged * 7919) % 900;
    if (logged % 100'000 == 99'999) {
      const uint64_t gen = ++generation;
      nestrr_log_quiesce_begin(&lg, cpu, gen);
      ++logged;
      for (uint32_t c = 0; c < kCpus; ++c) {
        if (c == cpu) continue;
        nestrr_log_nmi_sent(&lg, cpu, c, gen * 8 + c);
        nestrr_log_nmi_received(&lg, c, cpu, gen * 8 + c, 0xffffffff81001000, gen);
        nestrr_log_quiesce_ack(&lg, c, cpu, gen);
        logged += 3;
      }
      nestrr_log_ept01_change(&lg, cpu, 0x5000, 0x1000, 0x200000 + 0x1000 * gen, 7);
      nestrr_log_quiesce_end(&lg, cpu, gen);
      logged += 2;
    } else {
      nestrr_log_vm_exit(&lg, cpu, logged % 3 ? 48 : 10, 0x181, 0xffffffff81002000 + (logged % 16) * 4, true);
      ++logged;
    }
    if (logged % 1024 < kCpus) nestrr_logger_flush(&lg, cpu);
  }
  nestrr_logger_finish(&lg);
  std::fclose(f);
  return logged;
}

struct MeasuredRun {
  int code = -1;
  long max_rss_kib = 0;
};

// Runs the binary with `args`, stdout into `out`; its peak resident memory.
MeasuredRun run_measured(const std::vector<std::string>& args, const std::filesystem::path& out) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(NESTRR_BIN));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    execv(NESTRR_BIN, argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, usage.ru_maxrss};
}

class BoundedMemory : public CliDir {};

TEST_F(BoundedMemory, TenMillionRecords) {
  const auto log = dir_ / "long.nrr";
  const uint64_t logged = write_long_log(log, kRecords);
  const MeasuredRun r = run_measured({"info", log.string()}, dir_ / "info.txt");
  ASSERT_EQ(r.code, 0) << read("info.txt");
  const std::string info = read("info.txt");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(info, m, std::regex("\nrecords: (\\d+) ")));
  EXPECT_EQ(std::stoull(m[1]), logged);
  EXPECT_NE(info.find("lost in transport: 0 in 0 gaps"), std::string::npos) << info;
  // Every quiesce's edges: per other CPU, begin -> ack, ack -> end, ack ->
  // the EPT01 change, and its NMI.
  const uint64_t quiesces = kRecords / 100'000;
  EXPECT_NE(info.find("causal edges: " + std::to_string(quiesces * 12) + " (nmi " +
                      std::to_string(quiesces * 3) + ", quiesce " + std::to_string(quiesces * 9) + ")"),
            std::string::npos)
      << info;
  EXPECT_LT(r.max_rss_kib, kBoundKiB) << "peak resident memory of `nestrr info` on " << logged << " records";
  std::printf("nestrr info on %llu records (%llu bytes): peak RSS %ld KiB\n",
              static_cast<unsigned long long>(logged),
              static_cast<unsigned long long>(std::filesystem::file_size(log)), r.max_rss_kib);

  const MeasuredRun c = run_measured({"check", log.string()}, dir_ / "check.txt");
  const std::string check = read("check.txt");
  ASSERT_EQ(c.code, 0) << check;
  EXPECT_NE(check.find("checked " + std::to_string(logged) + " events"), std::string::npos) << check;
  EXPECT_LT(c.max_rss_kib, kBoundKiB) << "peak resident memory of `nestrr check` on " << logged << " records";
  std::printf("nestrr check on %llu records: peak RSS %ld KiB\n", static_cast<unsigned long long>(logged),
              c.max_rss_kib);

  // A capture counts what it writes, however long it runs.
  const MeasuredRun cap = run_measured({"capture", "-q", "--from", log.string(), "-o", (dir_ / "copy.nrr").string()},
                                       dir_ / "capture.txt");
  ASSERT_EQ(cap.code, 0);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "copy.nrr"), std::filesystem::file_size(log));
  EXPECT_LT(cap.max_rss_kib, kBoundKiB) << "peak resident memory of `nestrr capture` of " << logged << " records";
  std::printf("nestrr capture of %llu records: peak RSS %ld KiB\n", static_cast<unsigned long long>(logged),
              cap.max_rss_kib);
}

// `export` writes the records in merged order as it reads them again from
// the file: the same bytes as the whole read of stdin, in bounded memory.
TEST_F(BoundedMemory, ExportOfAMillionRecords) {
  const auto log = dir_ / "long.nrr";
  const uint64_t logged = write_long_log(log, 1'000'000);
  const MeasuredRun r = run_measured({"export", log.string(), "--chrome-trace", (dir_ / "file.json").string()},
                                     dir_ / "export.txt");
  ASSERT_EQ(r.code, 0);
  const CliResult whole = sh("$NESTRR export - --chrome-trace stdin.json < long.nrr");
  ASSERT_EQ(whole.code, 0) << whole.err;
  const std::string json = read("file.json");
  EXPECT_TRUE(json == read("stdin.json")) << "the streamed export differs from the whole read's";
  EXPECT_NE(whole.err.find("wrote " + std::to_string(logged) + " events"), std::string::npos) << whole.err;
  EXPECT_LT(r.max_rss_kib, kBoundKiB) << "peak resident memory of `nestrr export` on " << logged << " records";
  // And `check` says what it says on the whole read.
  const CliResult file_check = sh("$NESTRR check long.nrr");
  const CliResult stdin_check = sh("$NESTRR check - < long.nrr");
  EXPECT_EQ(file_check.code, stdin_check.code);
  EXPECT_EQ(file_check.out, stdin_check.out);
  std::printf("nestrr export of %llu records: peak RSS %ld KiB\n", static_cast<unsigned long long>(logged),
              r.max_rss_kib);
}

// `dump` prints, in each of its forms, what it prints from the whole read.
TEST_F(BoundedMemory, DumpPrintsWhatTheWholeReadPrints) {
  write_long_log(dir_ / "records.nrr", 200'000);
  write("long.nrr", "XMHF: booting\n" + read("records.nrr") + "XMHF: halted\n");
  for (const std::string args : {"", "--by-cpu", "--console", "--json --cpu 1 --kind nmi_received",
                                 "--cpu 2 --by-cpu", "--from-us 100000 --to-us 400000"}) {
    SCOPED_TRACE(args);
    const CliResult file = sh("$NESTRR dump long.nrr " + args);
    const CliResult in = sh("$NESTRR dump - " + args + " < long.nrr");
    ASSERT_EQ(file.code, 0) << file.err;
    EXPECT_GT(file.out.size(), 20u);
    EXPECT_TRUE(file.out == in.out) << "dump " << args << " differs from the whole read's";
  }
}

// A pipe cannot be read twice: the commands that read the file again read
// a pipe whole instead (a second open of a FIFO would wait for a writer
// that never comes), and say what they say for the file.
TEST_F(BoundedMemory, APipeIsReadWholeWhereTheFileWouldBeReadTwice) {
  write_long_log(dir_ / "long.nrr", 20'000);
  for (const std::string cmd : {"check", "dump", "dump --by-cpu", "info"}) {
    SCOPED_TRACE(cmd);
    const CliResult file = sh("$NESTRR " + cmd + " long.nrr");
    const CliResult pipe = sh("rm -f p && mkfifo p && (cat long.nrr > p &) && timeout 60 $NESTRR " + cmd + " p");
    ASSERT_EQ(pipe.code, file.code) << pipe.err;
    EXPECT_TRUE(pipe.out == file.out);
  }
  const CliResult pipe = sh("rm -f p && mkfifo p && (cat long.nrr > p &) && timeout 60 $NESTRR export p --chrome-trace p.json");
  ASSERT_EQ(pipe.code, 0) << pipe.err;
  ASSERT_EQ(sh("$NESTRR export long.nrr --chrome-trace f.json").code, 0);
  EXPECT_TRUE(read("p.json") == read("f.json"));
}

// Chunks of a CPU out of seq order (captures spliced the wrong way round)
// cannot be settled as they come: `info` then reads the whole log, and
// says the same as it does from stdin, which is always read whole.
TEST_F(BoundedMemory, ASplicedCaptureIsReadWhole) {
  std::string bytes;
  nestrr::eventlog::StreamWriter w([&](std::string_view b) { bytes.append(b); });
  nestrr::v1::Header h;
  h.set_format_version(4);
  h.set_cpu_count(1);
  h.set_sink(nestrr::v1::Header::SINK_STREAM);
  w.header(h);
  w.chunk(0, 10, 2000, exits(10));
  w.chunk(0, 0, 1000, exits(10));
  w.trailer(0, 20);
  write("spliced.nrr", bytes);
  const CliResult file = sh("$NESTRR info spliced.nrr");
  const CliResult in = sh("$NESTRR info - < spliced.nrr");
  ASSERT_EQ(file.code, 0) << file.err;
  EXPECT_NE(file.out.find("cpu0: 20 records, lost 0"), std::string::npos) << file.out;
  EXPECT_EQ(file.out, in.out);
  EXPECT_NE(file.err.find("reading the whole log"), std::string::npos) << file.err;
  // A capture, which keeps counts only, says what it left out of them.
  const CliResult cap = sh("$NESTRR capture -q --from spliced.nrr -o copy.nrr");
  ASSERT_EQ(cap.code, 0) << cap.err;
  EXPECT_NE(cap.err.find("10 records came after later ones of their CPU and are not in the counts above"),
            std::string::npos)
      << cap.err;
  EXPECT_EQ(read("copy.nrr"), bytes);
}

}  // namespace
}  // namespace nestrr::test_cli
