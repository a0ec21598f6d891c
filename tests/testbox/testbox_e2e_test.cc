// End to end on the real QEMU: `nestrr testbox` runs the bare-metal image,
// the captured log is replayed, checked and unwound on the host, and the
// stack is compared with what real gdb says through QEMU's gdbstub.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/noise.h"
#include "nestrr/eventlog/noise_truth.h"
#include "nestrr/replay/replayer.h"
#include "run_command.h"

namespace fs = std::filesystem;

namespace {

struct Ran {
  int status = -1;
  std::string out;  // stdout and stderr
};

Ran run(const std::string& cmd) {
  Ran r;
  r.out = nestrr::test_cli::run(cmd, &r.status);
  return r;
}

std::string nestrr() { return NESTRR_BIN; }
std::string image() { return NESTRR_TESTBOX_ELF; }

fs::path work(const std::string& name) {
  fs::path d = fs::path(::testing::TempDir()) / "nestrr_testbox_e2e";
  fs::create_directories(d);
  return d / name;
}

// The race with the widening knob: hit within a second or two of TCG.
const char* kRaceArgs = " testbox --variant vmxon-two-flags --cpus 2 --widen vmxon:20000 --timeout 120 -q";

const nestrr::v1::AssertionFailure* first_assertion(const nestrr::eventlog::Log& log, uint32_t* cpu) {
  for (const auto& s : log.streams)
    for (const auto& e : s.events)
      if (e.record.has_assertion_failure()) {
        *cpu = s.cpu;
        return &e.record.assertion_failure();
      }
  return nullptr;
}

TEST(Testbox, VmxonRaceIsHitAndReplaysTheSameInterleaving) {
  fs::path log_path = work("race.nrr");
  Ran t = run(nestrr() + kRaceArgs + " -o " + log_path.string());
  ASSERT_EQ(t.status, 0) << t.out;
  ASSERT_NE(t.out.find("assertion failed: QEMU status 35"), std::string::npos) << t.out;
  nestrr::eventlog::Log log = nestrr::eventlog::read_log_file(log_path);
  ASSERT_TRUE(log.damage.empty() && log.gaps.empty());
  ASSERT_EQ(log.header->scenario().origin(), "testbox");
  uint32_t cpu = 0;
  const auto* a = first_assertion(log, &cpu);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->condition(), "cpu_has_current_vmcs12(vcpu)");
  size_t nmis = 0;
  for (const auto& s : log.streams)
    for (const auto& e : s.events) nmis += e.record.has_nmi_received();
  ASSERT_GT(nmis, 0u);

  // Every replay re-executes the core on fibers, delivers each NMI at its
  // recorded progress count and compares every record, NmiReceived's
  // progress included: 100 of 100 must match and fail the same way.
  nestrr::replay::ReplayOptions ro;
  ro.symbolize = false;
  for (int i = 0; i < 100; i++) {
    nestrr::replay::ReplayResult r = nestrr::replay::replay(log, ro);
    ASSERT_TRUE(r.matched) << "replay " << i << ": " << (r.divergence ? r.divergence->message() : "");
    ASSERT_TRUE(r.failure.has_value()) << "replay " << i;
    EXPECT_EQ(r.failure->cpu, cpu);
    EXPECT_EQ(r.failure->condition, a->condition());
    EXPECT_EQ(r.failure->line, a->line());
  }
  Ran rp = run(nestrr() + " replay " + log_path.string());
  EXPECT_EQ(rp.status, 0) << rp.out;
  EXPECT_NE(rp.out.find("Replay matched the log"), std::string::npos) << rp.out;
}

struct Frame {
  std::string function, line;  // line: "file.c:123"
};

std::string base_line(const std::string& file_line) {
  std::string s = file_line;
  size_t slash = s.rfind('/');
  if (slash != std::string::npos) s = s.substr(slash + 1);
  std::smatch m;
  static const std::regex with_col(R"(^(.*:\d+):\d+$)");
  if (std::regex_match(s, m, with_col)) return m[1];
  return s;
}

// gdb: "#3  0x... in f (args) at /x/y.c:46" or "#18 f (args) at y.c:86".
std::vector<Frame> gdb_frames(const std::string& out) {
  std::vector<Frame> f;
  static const std::regex line(R"(^#\d+\s+(?:0x[0-9a-f]+ in )?([A-Za-z_][A-Za-z0-9_]*) \(.*\) at (\S+)$)");
  std::istringstream in(out);
  std::string l;
  while (std::getline(in, l)) {
    std::smatch m;
    if (l.find("<signal handler called>") != std::string::npos && l[0] == '#')
      f.push_back({"<interrupt entry>", ""});
    else if (std::regex_match(l, m, line))
      f.push_back({m[1], base_line(m[2])});
  }
  return f;
}

// nestrr stack --gdb: "#12 0x... in isr_nmi (/x/isr.S:41)  [recorded]".
std::vector<Frame> nestrr_frames(const std::string& out) {
  std::vector<Frame> f;
  static const std::regex line(R"(^#\d+\s+0x[0-9a-f]+ in (\S+) \((\S+)\)\s+\[.*\]$)");
  std::istringstream in(out);
  std::string l;
  while (std::getline(in, l)) {
    std::smatch m;
    if (!std::regex_match(l, m, line)) continue;
    // The NMI entry is a signal frame: gdb prints it as such.
    if (m[1] == "isr_nmi")
      f.push_back({"<interrupt entry>", ""});
    else
      f.push_back({m[1], base_line(m[2])});
  }
  return f;
}

uint16_t free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// Registers the assertion path logs beyond the general ones, printed by
// gdb as "$N = 0x...": selectors, control registers, EFER.
constexpr const char* kRegisterPrints =
    " -ex 'p/x $cs' -ex 'p/x $ss' -ex 'p/x $ds' -ex 'p/x $es' -ex 'p/x $cr0' -ex 'p/x $cr3'"
    " -ex 'p/x $cr4' -ex 'p/x $efer'";
constexpr size_t kRegisterPrintCount = 8;

std::vector<std::string> printed_values(const std::string& out) {
  std::vector<std::string> values;
  std::regex value(R"(^\$\d+ = (.+)$)");
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, value)) values.push_back(m[1]);
  }
  return values;
}

// Ground truth: the same failing run stopped by real gdb through QEMU's
// gdbstub where the assertion path takes its registers; gdb's bt against
// `nestrr stack` on the log that run wrote, and gdb's bt through
// `nestrr gdbserver` on that log.
TEST(Testbox, GdbBacktraceThroughQemuGdbstubMatchesNestrrStackAndGdbserver) {
  fs::path log_path = work("gdb.nrr");
  uint16_t port = free_port();
  std::string cmd = nestrr() + kRaceArgs + " --gdb " + std::to_string(port) + " -o " + log_path.string();
  Ran capture;
  std::thread qemu([&] { capture = run(cmd); });
  Ran gdb;
  for (int attempt = 0; attempt < 40; attempt++) {
    gdb = run("gdb -batch -nx " + image() + " -ex 'set pagination off' -ex 'target remote 127.0.0.1:" +
              std::to_string(port) + "' -ex 'break assertion_record' -ex continue -ex bt" + kRegisterPrints + " -ex detach");
    if (gdb.out.find("Breakpoint 1, assertion_record") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  qemu.join();
  ASSERT_NE(gdb.out.find("Breakpoint 1, assertion_record"), std::string::npos) << gdb.out;
  ASSERT_EQ(capture.status, 0) << capture.out;
  Ran st = run(nestrr() + " stack " + log_path.string() + " --elf " + image() + " --gdb");
  ASSERT_EQ(st.status, 0) << st.out;

  std::vector<Frame> g = gdb_frames(gdb.out), n = nestrr_frames(st.out);
  ASSERT_GE(n.size(), 15u) << st.out;
  ASSERT_GE(g.size(), n.size()) << gdb.out;
  // Frame 0: gdb stopped at assertion_record's first line, the record holds
  // where it took the registers; same function.
  EXPECT_EQ(g[0].function, "assertion_record");
  EXPECT_EQ(n[0].function, "assertion_record");
  // The NMI entry only latches the NMI; the core takes it at the next yield
  // point inside handle_vmxon: nmi_handler's frames sit on top of it.
  size_t nmi_frame = n.size(), vmxon_frame = n.size();
  for (size_t i = 1; i < n.size(); i++) {
    EXPECT_EQ(n[i].function, g[i].function) << "frame " << i << "\ngdb:\n" << gdb.out << "\nnestrr:\n" << st.out;
    EXPECT_EQ(n[i].line, g[i].line) << "frame " << i << " (" << n[i].function << ")";
    if (n[i].function == "nmi_handler" && nmi_frame == n.size()) nmi_frame = i;
    if (n[i].function == "handle_vmxon" && vmxon_frame == n.size()) vmxon_frame = i;
  }
  EXPECT_LT(nmi_frame, n.size()) << "nmi_handler is not on the stack:\n" << st.out;
  EXPECT_LT(vmxon_frame, n.size()) << "the NMI was not taken inside handle_vmxon:\n" << st.out;
  EXPECT_LT(nmi_frame, vmxon_frame) << "nmi_handler must sit above handle_vmxon:\n" << st.out;

  // The same gdb on the log through `nestrr gdbserver`: registers from the
  // assertion record, memory from its stack window and the stack snapshots
  // the testbox logs after it. Same frames as through QEMU, from frame 1
  // (frame 0 is where each stopped in assertion_record).
  Ran served = run("gdb -batch -nx " + image() + " -ex 'set pagination off' -ex 'target remote | " + nestrr() +
                   " gdbserver " + log_path.string() + " --elf " + image() + " --stdio' -ex bt" +
                   kRegisterPrints);
  std::vector<Frame> s = gdb_frames(served.out);
  ASSERT_GE(s.size(), n.size()) << "gdb through nestrr gdbserver unwinds fewer frames than nestrr stack:\n"
                                << served.out;
  EXPECT_EQ(s[0].function, "assertion_record") << served.out;
  for (size_t i = 1; i < std::min(s.size(), g.size()); i++) {
    EXPECT_EQ(s[i].function, g[i].function) << "frame " << i << "\nQEMU:\n" << gdb.out << "\nnestrr gdbserver:\n"
                                            << served.out;
    EXPECT_EQ(s[i].line, g[i].line) << "frame " << i << " (" << s[i].function << ")";
  }
  // The registers that hold still between the breakpoint and the capture:
  // the logged values are the ones QEMU shows.
  const std::vector<std::string> from_qemu = printed_values(gdb.out), from_log = printed_values(served.out);
  ASSERT_EQ(from_qemu.size(), kRegisterPrintCount) << gdb.out;
  EXPECT_EQ(from_log, from_qemu) << "QEMU:\n" << gdb.out << "\nnestrr gdbserver:\n" << served.out;
}

TEST(Testbox, IncompleteEpt01FlushIsReportedByCheck) {
  fs::path log_path = work("ept01.nrr");
  // Whether a run shows it depends on where the quiesce NMIs land; the
  // widening at the EPT02 fill (point 43) makes it near certain.
  Ran c;
  for (int attempt = 0; attempt < 3; attempt++) {
    Ran t = run(nestrr() +
                " testbox --variant ept01-flush-incomplete --workload l1,remap --iterations 100"
                " --widen 43:20000 --timeout 120 -q -o " + log_path.string());
    ASSERT_EQ(t.status, 0) << t.out;
    c = run(nestrr() + " check " + log_path.string());
    if (c.status == 6) break;
  }
  EXPECT_EQ(c.status, 6) << c.out;
  EXPECT_NE(c.out.find("[vmcs02-gpa-fields-match-ept01]"), std::string::npos) << c.out;
}

TEST(Testbox, FixedVariantRunsItsIterationsClean) {
  fs::path log_path = work("fixed.nrr");
  Ran t = run(nestrr() + " testbox --variant fixed --cpus 2 --iterations 30 --timeout 120 -q -o " +
              log_path.string());
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_NE(t.out.find("completed: QEMU status 33"), std::string::npos) << t.out;
  Ran c = run(nestrr() + " check " + log_path.string());
  EXPECT_EQ(c.status, 0) << c.out;
  EXPECT_NE(c.out.find("no violations"), std::string::npos) << c.out;
  Ran rp = run(nestrr() + " replay " + log_path.string());
  EXPECT_EQ(rp.status, 0) << rp.out;
}

// A noisy line between the test box and the capture: the captured COM1
// bytes go through a seeded byte-corrupting relay (dropped and flipped
// bytes, console lines inserted mid-frame, CR/LF translation) that knows
// exactly what it hit; `nestrr capture` reads what comes out. Loss must be
// what the noise hit, no more, and replay must refuse with the reason.
TEST(Testbox, NoisyCaptureLossIsExactAndReplayRefusesWithTheReason) {
  namespace el = nestrr::eventlog;
  fs::path clean_path = work("noisy_clean.nrr"), noisy_raw = work("noisy.raw"),
           noisy_log = work("noisy.nrr");
  Ran t = run(nestrr() + kRaceArgs + " -o " + clean_path.string());
  ASSERT_EQ(t.status, 0) << t.out;
  std::ifstream in(clean_path, std::ios::binary);
  std::string clean((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  el::RunParts parts = el::split_run(clean);
  ASSERT_FALSE(parts.body.empty());

  el::NoiseTruth truth;
  el::NoiseResult noisy;
  for (uint64_t seed = 1; seed < 50 && truth.records_hit == 0; seed++) {
    el::NoisyChannel relay(seed, el::NoiseRates{2e-4, 2e-4, 1e-4, true});
    noisy = relay.apply(parts.body);
    truth = el::noise_truth(parts.body, noisy.damaged);
  }
  ASSERT_GT(truth.records_hit, 0u) << "the noise hit no record";
  {
    std::ofstream out(noisy_raw, std::ios::binary);
    out << parts.head << noisy.bytes << parts.tail;
  }
  Ran cap = run(nestrr() + " capture --from " + noisy_raw.string() + " -o " + noisy_log.string());
  ASSERT_EQ(cap.status, 0) << cap.out;

  el::Log log = el::read_log_file(noisy_log);
  el::TruthCheck check = el::check_against_truth(log, truth);
  for (const auto& p : check.problems) ADD_FAILURE() << p;
  EXPECT_TRUE(check.exact);
  EXPECT_GE(log.stats.records_lost_transport, truth.records_hit);

  Ran info = run(nestrr() + " info " + noisy_log.string() + " --strict");
  EXPECT_EQ(info.status, 4) << info.out;
  Ran rp = run(nestrr() + " replay " + noisy_log.string());
  // Read front to back, the replay replays what it can, stops at the first
  // gap it meets, names it, and exits 4: read with loss (docs/cli.md).
  EXPECT_EQ(rp.status, 4) << rp.out;
  EXPECT_NE(rp.out.find("replay stopped at loss: cpu"), std::string::npos) << rp.out;
  EXPECT_NE(rp.out.find("were lost"), std::string::npos) << rp.out;
  EXPECT_NE(rp.out.find("records before it matched the log"), std::string::npos) << rp.out;
}

// log=flight: the rings are kept and dumped at the failure. The dump is a
// flight-recorder log with the assertion, its stack and the VCPU. A short
// widened run fits the rings whole: every CPU's records from the first,
// none missing, as a streamed log would have them, and it replays from the
// start. When the rings wrapped, it replays from its oldest usable key
// frame. Either way to the same assertion.
TEST(Testbox, FlightRecorderIsDumpedAtTheFailure) {
  fs::path log_path = work("flight.nrr");
  Ran t = run(nestrr() + kRaceArgs + " --flight -o " + log_path.string());
  ASSERT_EQ(t.status, 0) << t.out;
  ASSERT_NE(t.out.find("assertion failed: QEMU status 35"), std::string::npos) << t.out;
  nestrr::eventlog::Log log = nestrr::eventlog::read_log_file(log_path);
  ASSERT_TRUE(log.header.has_value());
  EXPECT_EQ(log.header->sink(), nestrr::v1::Header::SINK_FLIGHT_RECORDER);
  EXPECT_TRUE(log.damage.empty() && log.gaps.empty());
  uint32_t cpu = 0;
  const auto* a = first_assertion(log, &cpu);
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->stack().empty());
  size_t snapshots = 0, dropped = 0;
  for (const auto& s : log.streams) {
    dropped += s.records_dropped_logger;
    for (const auto& e : s.events) snapshots += e.record.has_memory_snapshot();
  }
  EXPECT_GT(snapshots, 0u);
  Ran st = run(nestrr() + " stack " + log_path.string() + " --elf " + image() + " --tree");
  EXPECT_EQ(st.status, 0) << st.out;
  EXPECT_NE(st.out.find("handle_vmxon"), std::string::npos) << st.out;
  if (dropped == 0) {
    for (const auto& s : log.streams) {
      ASSERT_FALSE(s.events.empty()) << "cpu" << s.cpu;
      EXPECT_EQ(s.events.front().seq, 0u) << "cpu" << s.cpu;
      EXPECT_EQ(s.events.back().seq + 1, s.events.size()) << "cpu" << s.cpu << ": records missing";
      EXPECT_TRUE(s.trailer.has_value()) << "cpu" << s.cpu;
    }
  }
  Ran rp = run(nestrr() + " replay " + log_path.string());
  EXPECT_EQ(rp.status, 0) << rp.out;
  EXPECT_NE(rp.out.find("Failure: cpu" + std::to_string(cpu)), std::string::npos) << rp.out;
  EXPECT_NE(rp.out.find("(attempts: 1)"), std::string::npos) << rp.out;
  EXPECT_EQ(rp.out.find("Replayed from key frame") != std::string::npos, dropped != 0) << rp.out;
}

// Where the testbox's console said a CPU failed: "cpu0: assertion '...'
// failed at vmcs12.c:46 (progress 62058)", as replay's Failure line says it.
std::string failure_of(const std::string& out) {
  static const std::regex line(R"(cpu\d+: assertion '[^']*' failed at \S+ \(progress \d+\))");
  std::smatch m;
  return std::regex_search(out, m, line) ? m.str() : std::string();
}

// Unwidened runs stopped by their time limit (or by the race, when it
// comes first), five of each mode, 2 and 4 CPUs: the paced stream and the
// flight recorder both replay in one pass, to the assertion the testbox
// hit, at its CPU and progress, or to the end when it hit none. The flight
// logs whose rings wrapped replay from a key frame.
TEST(Testbox, UnwidenedPacedAndFlightRunsReplayFiveOfFive) {
  struct Mode {
    const char* name;
    const char* args;
  };
  const Mode modes[] = {{"paced", " --paced"}, {"flight", " --flight"}};
  const char* variants[] = {"vmxon-two-flags", "ept01-flush-incomplete", "fixed",
                            "vmxon-two-flags", "ept01-flush-incomplete"};
  for (const Mode& mode : modes) {
    int replayed = 0, asserted = 0, from_key_frame = 0;
    for (int i = 0; i < 5; ++i) {
      const std::string cpus = i % 2 ? "4" : "2";
      fs::path log_path = work(std::string("unwidened_") + mode.name + std::to_string(i) + ".nrr");
      Ran t = run(nestrr() + " testbox --variant " + variants[i] + " --cpus " + cpus + mode.args +
                  " --time-limit 3 --timeout 120 -o " + log_path.string());
      ASSERT_EQ(t.status, 0) << t.out;
      const bool hit = t.out.find("assertion failed: QEMU status 35") != std::string::npos;
      ASSERT_TRUE(hit || t.out.find("time limit: QEMU status 39") != std::string::npos) << t.out;
      Ran rp = run(nestrr() + " replay " + log_path.string());
      SCOPED_TRACE(std::string(mode.name) + " run " + std::to_string(i) + " (" + variants[i] +
                   ", " + cpus + " CPUs): " + rp.out.substr(0, 2000));
      EXPECT_EQ(rp.status, 0);
      EXPECT_NE(rp.out.find("(attempts: 1)"), std::string::npos);
      if (hit) {
        const std::string where = failure_of(t.out);
        ASSERT_FALSE(where.empty()) << t.out;
        EXPECT_NE(rp.out.find("Failure: " + where), std::string::npos) << "testbox: " << where;
        asserted++;
      } else {
        EXPECT_EQ(rp.out.find("Failure:"), std::string::npos);
      }
      replayed += rp.status == 0;
      from_key_frame += rp.out.find("Replayed from key frame") != std::string::npos;
    }
    std::printf("%s: %d of 5 replayed (%d at the testbox's assertion, %d from a key frame)\n",
                mode.name, replayed, asserted, from_key_frame);
    EXPECT_EQ(replayed, 5);
    if (std::string(mode.name) == "flight") EXPECT_GE(from_key_frame, 1) << "no ring wrapped";
  }
}

// log=paced: a CPU that gets ahead of the UART waits at its next yield
// point, so a run long enough to overflow the rings loses nothing; the
// log replays record for record in one pass; and the image's console lines
// come back through `dump --console`.
TEST(Testbox, PacedStreamLosesNothing) {
  fs::path log_path = work("paced.nrr");
  Ran t = run(nestrr() + " testbox --variant fixed --cpus 2 --iterations 500 --paced --timeout 240 -q -o " +
              log_path.string());
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_NE(t.out.find("completed: QEMU status 33"), std::string::npos) << t.out;
  nestrr::eventlog::Log log = nestrr::eventlog::read_log_file(log_path);
  EXPECT_TRUE(log.damage.empty() && log.gaps.empty());
  size_t records = 0;
  for (const auto& s : log.streams) {
    EXPECT_EQ(s.records_dropped_logger, 0u) << "cpu" << s.cpu;
    EXPECT_EQ(s.records_lost_transport, 0u) << "cpu" << s.cpu;
    EXPECT_TRUE(s.trailer.has_value()) << "cpu" << s.cpu;
    records += s.events.size();
  }
  EXPECT_GT(records, 20000u);  // well past what a 1 MiB ring holds at once
  Ran rp = run(nestrr() + " replay " + log_path.string());
  EXPECT_EQ(rp.status, 0) << rp.out;
  EXPECT_NE(rp.out.find("Replay matched the log"), std::string::npos) << rp.out;
  EXPECT_NE(rp.out.find("(attempts: 1)"), std::string::npos) << rp.out;
  Ran console = run(nestrr() + " dump --console " + log_path.string());
  EXPECT_EQ(console.status, 0) << console.out;
  EXPECT_NE(console.out.find("testbox: every workload completed"), std::string::npos) << console.out;
}

// bench=logger-cost: the image measures its logger and reports one line.
TEST(Testbox, LoggerCostModeReportsCyclesPerRecord) {
  Ran t = run(nestrr() + " testbox --cpus 1 --append bench=logger-cost --timeout 120 -q -o " +
              work("cost.nrr").string());
  ASSERT_EQ(t.status, 0) << t.out;
  std::smatch m;
  static const std::regex line(R"(bare (\d+) flight (\d+) stream (\d+) \(stream bytes (\d+), dropped (\d+)\))");
  ASSERT_TRUE(std::regex_search(t.out, m, line)) << t.out;
  EXPECT_GT(std::stoull(m[1]), 0u);
  EXPECT_GT(std::stoull(m[2]), std::stoull(m[1]));  // the logger does more than the bare store
  EXPECT_GT(std::stoull(m[4]), 0u);                 // the stream logger wrote frames
  EXPECT_EQ(std::stoull(m[5]), 0u);
}

TEST(Testbox, QemuMissingIsAClearError) {
  Ran t = run(nestrr() + " testbox --qemu no-such-qemu-binary --timeout 5 -q -o " + work("none.nrr").string());
  EXPECT_EQ(t.status, 1) << t.out;
  EXPECT_NE(t.out.find("no-such-qemu-binary"), std::string::npos) << t.out;
}

}  // namespace
