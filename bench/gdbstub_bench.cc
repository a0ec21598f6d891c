// gdbstub: what attaching and moving in the history cost, each against a
// baseline measured in the same run.
//  - Reverse-continue from the end of a run of about a million scheduler
//    steps (live replay of a long fixed-variant run) to the previous hit of
//    a breakpoint, against a forward replay from the start to the same step
//    (reverse execution re-executes from the start).
//  - Packet round trips (`g`, `m` of 64 bytes) to our server and to QEMU's
//    own gdbstub (qemu-system-x86_64 -S), with the same client.
//  - Real gdb: `target remote` to the first backtrace (live replay of the
//    VMXON race), against gdb loading the same binary and printing a line.
//    (Million-record sessions: gdb_session_bench.)
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "nestrr/eventlog/log.h"
#include "nestrr/gdbstub/connection.h"
#include "nestrr/gdbstub/live_target.h"
#include "nestrr/gdbstub/packet.h"
#include "nestrr/gdbstub/recorded_target.h"
#include "nestrr/gdbstub/server.h"
#include "nestrr/gdbstub/transport.h"
#include "nestrr/replay/recorder.h"
#include "nestrr/replay/symbolize.h"

extern char** environ;

namespace {

namespace gs = nestrr::gdbstub;

nestrr::eventlog::Log record_log(core_variant variant, uint64_t iterations,
                                 std::vector<std::string> options = {}) {
  nestrr::replay::RecordOptions opts;
  opts.scenario = nestrr::replay::default_scenario(variant, 2, iterations);
  opts.scenario.seed = 7;
  opts.scenario.options = std::move(options);
  opts.time_limit = std::chrono::seconds(120);
  opts.ring_bytes = 1u << 22;
  std::ostringstream out;
  nestrr::replay::record(opts, out);
  std::istringstream in(out.str());
  return nestrr::eventlog::read_log(in);
}

// ---- reverse-continue across ~1M steps ----

void BM_ReverseContinueMillionSteps(benchmark::State& state) {
  static const nestrr::eventlog::Log log = record_log(CORE_VARIANT_FIXED, 10000);
  auto t0 = std::chrono::steady_clock::now();
  gs::LiveTarget target(log);
  target.settle();  // the whole replay, forward
  double first_pass = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t end = target.position();
  // Reverse execution starts from the nearest checkpoint before the step
  // it stops at. Measured: a breakpoint hit just before where we stand
  // (the function the vCPUs park in most often), reverse-continued from
  // the end of the run, against a forward replay of the same span.
  nestrr::replay::HostSymbolizer sym;
  std::map<uint64_t, uint64_t> parks;     // function start -> parks in it
  std::map<uint64_t, uint64_t> start_of;  // pc -> function start
  for (uint64_t i = 1; i <= end; ++i) {
    uint64_t pc = target.parked_at(i);
    if (!pc) continue;
    auto it = start_of.find(pc);
    if (it == start_of.end()) {
      auto r = sym.function_range(pc - 1);
      it = start_of.emplace(pc, r ? r->first : 0).first;
    }
    if (it->second) parks[it->second]++;
  }
  uint64_t bp = 0, most = 0;
  for (auto [fn, count] : parks)
    if (count > most) {
      most = count;
      bp = fn;
    }
  if (!bp) {
    state.SkipWithError("no vCPU parked in a known function");
    return;
  }
  uint64_t hit = 0;
  double reverse_s = 0, forward_s = 0;
  for (auto _ : state) {
    std::string why;
    target.seek(end, why);
    target.insert_breakpoint(bp);
    gs::ResumeRequest back;
    back.direction = gs::Direction::kBackward;
    auto a = std::chrono::steady_clock::now();
    gs::Stop s = target.resume(back);
    reverse_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
    hit = target.position();
    if (s.why != gs::Stop::Why::kBreakpoint || hit == 0 || hit >= end) {
      state.SkipWithError("reverse-continue did not stop at the breakpoint");
      return;
    }
    // Baseline: a forward replay of the same steps, from the start to the stop.
    target.remove_breakpoint(bp);
    target.seek(0, why);
    a = std::chrono::steady_clock::now();
    target.seek(hit, why);
    forward_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["steps_total"] = static_cast<double>(end);
  state.counters["stop_step"] = static_cast<double>(hit);
  state.counters["first_pass_s"] = first_pass;
  state.counters["reverse_s"] = reverse_s / n;
  state.counters["forward_span_s"] = forward_s / n;
  state.counters["reverse/forward"] = reverse_s / forward_s;
}

// ---- packet round trips ----

// A minimal remote-protocol client over TCP, no-ack mode.
class Client {
 public:
  explicit Client(uint16_t port) {
    for (int i = 0; i < 200; ++i) {
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) break;
      ::close(fd_);
      fd_ = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (fd_ < 0) throw std::runtime_error("cannot connect");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ask("qSupported:swbreak+", true);
    ask("QStartNoAckMode", true);
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::string ask(const std::string& payload, bool ack = false) {
    std::string f = gs::frame_packet(payload);
    if (::write(fd_, f.data(), f.size()) != static_cast<ssize_t>(f.size())) throw std::runtime_error("write");
    for (;;) {
      char c;
      if (::read(fd_, &c, 1) != 1) throw std::runtime_error("read");
      if (auto ev = reader_.feed(static_cast<uint8_t>(c)); ev && ev->kind == gs::ReaderEvent::Kind::kPacket) {
        if (ack && ::write(fd_, "+", 1) != 1) throw std::runtime_error("write");
        return ev->payload;
      }
    }
  }

 private:
  int fd_ = -1;
  gs::PacketReader reader_{1 << 20};
};

nestrr::eventlog::Log small_log() {
  nestrr::eventlog::Log log;
  log.header.emplace();
  log.header->set_cpu_count(1);
  log.streams.resize(1);
  nestrr::eventlog::Event e;
  auto* af = e.record.mutable_assertion_failure();
  af->mutable_registers()->set_rip(0x401000);
  af->mutable_registers()->set_rsp(0x7000);
  af->set_stack_address(0x7000);
  af->set_stack(std::string(4096, '\x11'));
  log.streams[0].events.push_back(e);
  return log;
}

void round_trips(benchmark::State& state, Client& c, const std::string& mem) {
  const bool g = state.range(0) == 0;
  for (auto _ : state) benchmark::DoNotOptimize(c.ask(g ? "g" : "m" + mem + ",40"));
  state.SetLabel(g ? "g" : "m 64 bytes");
}

void BM_RoundTripNestrr(benchmark::State& state) {
  gs::RecordedTarget target(small_log(), nullptr);
  gs::Listener listener(0);
  std::thread server([&] {
    int fd = listener.accept_client();
    gs::Connection conn(fd, fd);
    gs::GdbServer(target).serve(conn);
    ::close(fd);
  });
  {
    Client c(listener.port());
    round_trips(state, c, "7000");
    c.ask("D");
  }
  server.join();
}

void BM_RoundTripQemu(benchmark::State& state) {
  uint16_t port;
  {
    gs::Listener probe(0);  // a free port for QEMU
    port = probe.port();
  }
  std::string gdb_arg = "tcp:127.0.0.1:" + std::to_string(port);
  const char* argv[] = {"qemu-system-x86_64", "-S", "-gdb", gdb_arg.c_str(), "-display", "none",
                        "-nodefaults", "-no-user-config", "-m", "16", nullptr};
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    state.SkipWithError("cannot start qemu-system-x86_64");
    return;
  }
  try {
    Client c(port);
    round_trips(state, c, "0");
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// ---- real gdb: attach and first backtrace ----

double run_seconds(const std::string& cmd) {
  auto a = std::chrono::steady_clock::now();
  FILE* p = ::popen((cmd + " >/dev/null 2>&1").c_str(), "r");
  if (p) ::pclose(p);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

void BM_GdbAttachAndBacktrace(benchmark::State& state) {
  static const std::string path = [] {
    nestrr::replay::RecordOptions opts;
    opts.scenario = nestrr::replay::default_scenario(CORE_VARIANT_VMXON_TWO_FLAGS, 2, 0);
    opts.scenario.seed = 7;
    opts.scenario.options = {"widen=vmxon:20000"};
    opts.time_limit = std::chrono::seconds(10);
    std::string p = (std::filesystem::temp_directory_path() / "nestrr_gdbstub_bench_race.nrr").string();
    std::ofstream out(p, std::ios::binary);
    nestrr::replay::record(opts, out);
    return p;
  }();
  const std::string gdb = std::string("gdb -nx -batch ") + NESTRR_BIN;
  double attach = 0, baseline = 0;
  for (auto _ : state) {
    attach += run_seconds(gdb + " -ex 'target remote | " NESTRR_BIN " gdbserver " + path +
                          " --live --stdio' -ex 'thread 1' -ex bt");
    baseline += run_seconds(gdb + " -ex 'info line main'");
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["attach_bt_s"] = attach / n;
  state.counters["gdb_load_only_s"] = baseline / n;
  state.counters["ratio"] = attach / baseline;
}

BENCHMARK(BM_ReverseContinueMillionSteps)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();
BENCHMARK(BM_RoundTripNestrr)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_RoundTripQemu)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_GdbAttachAndBacktrace)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
