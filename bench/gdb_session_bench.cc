// Real gdb sessions on nestrr's gdbserver, each against a baseline taken
// in the same run:
//  - attach + `bt`: QEMU's own gdbstub on the testbox image (the CPUs
//    stopped at reset) as the baseline; nestrr's recorded states of a
//    testbox log with the same image; recorded states and the live replay
//    of a log of about a million records (gdb on the nestrr binary, whose
//    own load is measured apart).
//  - Inside one live session on the million-record log, each command
//    timed by gdb-side timestamps (gdb's Python clock): reverse-continue to step 0 and continue
//    back to the end, reverse-continue to the latest hit of a breakpoint,
//    watch + reverse-continue to the latest store that changed a flag,
//    next / stepi / reverse-next / reverse-stepi latency.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/replay/recorder.h"

extern char** environ;

namespace {

std::string capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

double seconds_of(const std::string& cmd) {
  auto a = std::chrono::steady_clock::now();
  capture(cmd);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("nestrr_gdb_session_" + name)).string();
}

// The million-record log: the fixed variant, two CPUs, about 76 records
// an iteration.
const std::string& million_log() {
  static const std::string path = [] {
    nestrr::replay::RecordOptions opts;
    opts.scenario = nestrr::replay::default_scenario(CORE_VARIANT_FIXED, 2, 13500);
    opts.time_limit = std::chrono::seconds(120);
    opts.ring_bytes = 1u << 22;
    std::string p = tmp("1m.nrr");
    std::ofstream out(p, std::ios::binary);
    nestrr::replay::record(opts, out);
    return p;
  }();
  return path;
}

std::string gdb_on(const std::string& program) { return "gdb -nx -batch " + program; }

// ---- attach + bt ----

// QEMU's gdbstub: the testbox image started with its CPUs stopped.
void BM_AttachBacktraceQemu(benchmark::State& state) {
  const std::string image = NESTRR_TESTBOX_ELF;
  if (image.empty() || capture("command -v qemu-system-x86_64").empty()) {
    state.SkipWithError("no testbox image or no qemu-system-x86_64");
    return;
  }
  double total = 0;
  for (auto _ : state) {
    const int port = 20000 + static_cast<int>(::getpid() % 20000);
    const std::string out = tmp("qemu.nrr");
    // A short timeout: after gdb detaches the image runs on and ends.
    const std::string cmd = "exec " + std::string(NESTRR_BIN) +
                            " testbox --variant vmxon-two-flags --cpus 2 -q --timeout 8 --gdb " + std::to_string(port) +
                            " -o " + out + " >/dev/null 2>&1";
    pid_t pid;
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
      state.SkipWithError("cannot start the testbox");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // QEMU up, gdbstub listening
    total += seconds_of(gdb_on(image) + " -ex 'target remote 127.0.0.1:" + std::to_string(port) + "' -ex bt");
    ::waitpid(pid, nullptr, 0);
  }
  state.counters["attach_bt_s"] = total / static_cast<double>(state.iterations());
}

// nestrr's recorded states of a testbox log, gdb on the same image.
void BM_AttachBacktraceNestrrTestbox(benchmark::State& state) {
  if (std::string(NESTRR_TESTBOX_ELF).empty() || capture("command -v qemu-system-x86_64").empty()) {
    state.SkipWithError("no testbox image or no qemu-system-x86_64");
    return;
  }
  static const std::string log = [] {
    std::string p = tmp("testbox.nrr");
    capture(std::string(NESTRR_BIN) + " testbox --variant vmxon-two-flags --cpus 2 -q --timeout 60 -o " + p);
    return p;
  }();
  double total = 0;
  std::string out;
  for (auto _ : state) {
    auto a = std::chrono::steady_clock::now();
    out = capture(gdb_on(NESTRR_TESTBOX_ELF) + " -ex 'target remote | " NESTRR_BIN " gdbserver " + log + " --elf " +
                  NESTRR_TESTBOX_ELF " --stdio' -ex bt");
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
  }
  state.counters["attach_bt_s"] = total / static_cast<double>(state.iterations());
  state.counters["bt_frames"] = static_cast<double>(std::count(out.begin(), out.end(), '#'));
}

// The million-record log, recorded states (arg 0) or the live replay (1):
// gdb on the nestrr binary, whose load alone is the baseline.
void BM_AttachBacktraceMillion(benchmark::State& state) {
  const bool live = state.range(0) == 1;
  const std::string& log = million_log();
  double attach = 0, baseline = 0;
  std::string out;
  for (auto _ : state) {
    auto a = std::chrono::steady_clock::now();
    out = capture(gdb_on(NESTRR_BIN) + " -ex 'target remote | " NESTRR_BIN " gdbserver " + log +
                  (live ? " --live" : "") + " --stdio' -ex bt -ex 'monitor when'");
    attach += std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
    baseline += seconds_of(gdb_on(NESTRR_BIN) + " -ex 'info line main'");
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["records"] = static_cast<double>(nestrr::eventlog::read_log_file(log).event_count());
  state.counters["attach_bt_s"] = attach / n;
  state.counters["gdb_load_only_s"] = baseline / n;
  state.counters["beyond_gdb_load_s"] = (attach - baseline) / n;
  // Whether gdb was shown the start (the log still loading) or the end.
  state.SetLabel(out.find("still being read") != std::string::npos || out.find("step 0 of") != std::string::npos ||
                         out.find("event 0 of") != std::string::npos
                     ? "shown the start"
                     : "shown the end");
}

// ---- one live session, timed command by command ----

// Runs gdb with `commands`, each followed by a timestamp; returns the
// seconds each command took (a timestamp's own cost taken off).
std::vector<double> timed_session(const std::string& log, const std::vector<std::string>& commands,
                                  std::string& out) {
  std::string cmd = gdb_on(NESTRR_BIN) + " -ex 'target remote | " NESTRR_BIN " gdbserver " + log + " --live --stdio'";
  // gdb's own Python clock: no process to start, so a stamp costs microseconds.
  const std::string stamp = " -ex 'python import time; print(\"@%.6f\" % time.time())'";
  cmd += stamp + stamp;  // two in a row: what a stamp costs
  for (const auto& c : commands) cmd += " -ex '" + c + "'" + stamp;
  out = capture(cmd);
  std::vector<double> t;
  std::regex re(R"(@(\d+\.\d+))");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator(); ++it)
    t.push_back(std::stod((*it)[1]));
  std::vector<double> d;
  if (t.size() < 2) return d;
  const double cost = t[1] - t[0];
  for (size_t i = 2; i < t.size(); ++i) d.push_back(t[i] - t[i - 1] - cost);
  return d;
}

void BM_LiveSessionMillion(benchmark::State& state) {
  const std::string& log = million_log();
  // From the end: back to step 0 and forward again; then the latest
  // VMXON handler entry; a watch on its CPU's VMX mode; stepping.
  const std::vector<std::string> commands = {
      "continue",                // 0: to the end (the replay's first pass, if gdb was shown the start)
      "reverse-continue",        // 1: to step 0
      "continue",                // 2: back to the end
      "break handle_vmxon",      // 3
      "reverse-continue",        // 4: the latest VMXON entry
      "watch -l v->vmx_mode",    // 5
      "disable",                 // 6
      "continue",                // 7: to the end, nothing armed
      "enable 2",                // 8
      "reverse-continue",        // 9: the latest store that changed vmx_mode
      "delete",                  // 10
      "next",                    // 11..13
      "next",
      "next",
      "stepi",                   // 14..16
      "stepi",
      "stepi",
      "reverse-next",            // 17
      "reverse-stepi",           // 18
  };
  std::map<std::string, double> sums;
  std::string out;
  for (auto _ : state) {
    std::vector<double> d = timed_session(log, commands, out);
    if (d.size() != commands.size()) {
      state.SkipWithError("the session did not run every command");
      return;
    }
    sums["first_continue_s"] += d[0];
    sums["reverse_to_start_s"] += d[1];
    sums["forward_to_end_s"] += d[2];
    sums["reverse_to_breakpoint_s"] += d[4];
    sums["watch_reverse_to_store_s"] += d[9];
    sums["next_ms"] += (d[11] + d[12] + d[13]) / 3 * 1000;
    sums["stepi_ms"] += (d[14] + d[15] + d[16]) / 3 * 1000;
    sums["reverse_next_ms"] += d[17] * 1000;
    sums["reverse_stepi_ms"] += d[18] * 1000;
  }
  for (auto& [k, v] : sums) state.counters[k] = v / static_cast<double>(state.iterations());
  state.SetLabel(out.find("Hardware watchpoint 2: -location v->vmx_mode") != std::string::npos
                     ? "watch stopped at a store"
                     : "watch did not stop");
}

BENCHMARK(BM_AttachBacktraceQemu)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_AttachBacktraceNestrrTestbox)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_AttachBacktraceMillion)->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_LiveSessionMillion)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
