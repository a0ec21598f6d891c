// Real gdb on the live replay of a recorded vmxon-two-flags failure: the
// vCPU fibers as threads, the failing CPU's stack (find_current_vmcs12
// above the flush above the NMI handler above the VMXON handler), the
// half-updated mode, reverse-continue to the VMXON handler's entry, and
// watch + reverse-continue to the store that set the flag.
#include <gtest/gtest.h>

#include <regex>

#include "nestrr/eventlog/log.h"
#include "race_log.h"
#include "run_util.h"

namespace nestrr::gdbstub {
namespace {

using testing::gdb_batch;
using testing::quote;
using testing::run;

using testing::live_target;
using testing::Race;
using testing::race;

// Positions of the frames naming each function, in backtrace order.
size_t frame_of(const std::string& bt, const std::string& fn) {
  std::regex re("#(\\d+) .*\\b" + fn + " \\(");
  std::smatch m;
  if (!std::regex_search(bt, m, re)) return std::string::npos;
  return std::stoul(m[1]);
}

TEST(GdbLive, ThreadsStackAndHalfUpdatedMode) {
  const Race& r = race();
  ASSERT_TRUE(r.ok);
  const std::string thread = std::to_string(r.failing_cpu + 1);
  std::string out = gdb_batch(NESTRR_BIN, {live_target(r), "info threads", "thread " + thread, "bt",
                                           "frame function find_current_vmcs12",
                                           "p vcpu->is_vmx_operation", "p vcpu->is_vmx_root_operation",
                                           "p vcpu->id", "p (*vcpu).in_nmi"});
  // Every CPU is a thread.
  EXPECT_NE(out.find("Thread 1 (cpu0 "), std::string::npos) << out;
  EXPECT_NE(out.find("Thread 2 (cpu1 "), std::string::npos) << out;
  EXPECT_NE(out.find("halted (in the NMI handler), in find_current_vmcs12"), std::string::npos) << out;
  size_t find = frame_of(out, "find_current_vmcs12"), flush = frame_of(out, "flush_ept02_effect"),
         nmi = frame_of(out, "nmi_handler"), vmxon = frame_of(out, "handle_vmxon");
  ASSERT_NE(find, std::string::npos) << out;
  ASSERT_NE(flush, std::string::npos) << out;
  ASSERT_NE(nmi, std::string::npos) << out;
  ASSERT_NE(vmxon, std::string::npos) << out;
  EXPECT_LT(find, flush);
  EXPECT_LT(flush, nmi);
  EXPECT_LT(nmi, vmxon);
  // In VMX operation but not root: what the NMI handler took for "L2 running".
  EXPECT_NE(out.find("$1 = 1\n$2 = 0\n$3 = " + std::to_string(r.failing_cpu) + "\n$4 = 1\n"),
            std::string::npos)
      << out;
}

TEST(GdbLive, ReverseContinueToTheVmxonHandlerBeforeTheNmi) {
  const Race& r = race();
  ASSERT_TRUE(r.ok);
  std::string out = gdb_batch(NESTRR_BIN, {live_target(r), "monitor when", "break handle_vmxon",
                                           "reverse-continue", "monitor when", "p v->id",
                                           "p v->is_vmx_operation", "p v->is_vmx_root_operation",
                                           "p v->in_nmi", "reverse-stepi", "continue", "monitor when",
                                           "delete", "continue", "monitor when", "continue", "monitor when"});
  std::smatch m;
  // Lines of `monitor when` (the server's own log line says "live replay: step").
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(\nstep (\d+) of (\d+);)"))) << out;
  const uint64_t end = std::stoull(m[1]);
  EXPECT_EQ(m[1], m[2]);
  // Stopped at the breakpoint itself, gdb naming it, on the CPU that fails
  // later: entering the VMXON handler, neither flag set yet.
  const std::string thread = std::to_string(r.failing_cpu + 1);
  EXPECT_NE(out.find("Thread " + thread + " hit Breakpoint 1, handle_vmxon (v="), std::string::npos) << out;
  std::string after = m.suffix();
  ASSERT_TRUE(std::regex_search(after, m, std::regex(R"(\n(step (\d+) of \d+;.*inside step.*)\n)"))) << out;
  const std::string stop_line = m[1];
  EXPECT_LT(std::stoull(m[2]), end);
  EXPECT_NE(out.find("$1 = " + std::to_string(r.failing_cpu) + "\n$2 = 0\n$3 = 0\n$4 = 0\n"),
            std::string::npos)
      << out;
  // reverse-stepi went one instruction back; continue came back to the
  // same stop; without breakpoints, continue runs to the failing CPU's
  // assertion (its abort), and then to the end of the history.
  EXPECT_NE(m.suffix().str().find(stop_line), std::string::npos) << out;
  EXPECT_NE(out.find("Thread " + thread + " received signal SIGABRT"), std::string::npos) << out;
  EXPECT_NE(out.find("No more reverse-execution history."), std::string::npos) << out;
  std::string last;
  const std::regex when(R"(\nstep \d+ of \d+;)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), when);
       it != std::sregex_iterator(); ++it)
    last = it->str();
  EXPECT_EQ(last, "\nstep " + std::to_string(end) + " of " + std::to_string(end) + ";") << out;
}

// The question of the seed's race: which store set is_vmx_operation on
// the failing CPU? `watch -l` + reverse-continue stops before the step
// that wrote it (gdb shows the value going back from 1 to 0); continue
// then stops after it, in the VMXON handler that did the store.
TEST(GdbLive, WatchAndReverseContinueFindTheStoreOfTheFlag) {
  const Race& r = race();
  ASSERT_TRUE(r.ok);
  const std::string thread = std::to_string(r.failing_cpu + 1);
  std::string out = gdb_batch(NESTRR_BIN, {live_target(r), "thread " + thread,
                                           "frame function find_current_vmcs12",
                                           "watch -l vcpu->is_vmx_operation", "reverse-continue",
                                           "monitor when", "continue", "monitor when", "bt"});
  std::regex back(R"(Thread )" + thread +
                  R"( hit Hardware watchpoint 1: -location vcpu->is_vmx_operation\s+Old value = 1\s+New value = 0)");
  std::regex fwd(R"(Thread )" + thread +
                 R"( hit Hardware watchpoint 1: -location vcpu->is_vmx_operation\s+Old value = 0\s+New value = 1)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, back)) << out;
  std::string after_back = m.suffix();
  EXPECT_TRUE(std::regex_search(after_back, fwd)) << out;
  // Backward stops before the store, forward just after it: with the
  // CPU's debug registers both inside the same step, at the store's line
  // and the next; compared step by step, at the boundaries around it.
  std::vector<std::string> whens;
  const std::regex when(R"(\n(step (\d+) of \d+;[^\n]*))");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), when); it != std::sregex_iterator(); ++it)
    whens.push_back((*it)[1]);
  ASSERT_EQ(whens.size(), 2u) << out;
  auto step_of = [](const std::string& w) { return std::stoull(w.substr(5)); };
  if (whens[0].find("inside step") != std::string::npos) {
    EXPECT_EQ(step_of(whens[1]), step_of(whens[0])) << out;
    EXPECT_NE(out.find("v->is_vmx_operation = 1;"), std::string::npos) << out;
  } else {
    EXPECT_EQ(step_of(whens[1]), step_of(whens[0]) + 1) << out;
  }
  EXPECT_NE(out.find("handle_vmxon (v="), std::string::npos) << out;
  EXPECT_NE(out.find("CORE_POINT_VMXON_SET_ROOT"), std::string::npos) << out;
}

TEST(GdbLive, MonitorJumpsAndBadMemory) {
  const Race& r = race();
  ASSERT_TRUE(r.ok);
  std::string out = gdb_batch(NESTRR_BIN, {live_target(r), "monitor event 5", "monitor when",
                                           "monitor timeline 3", "monitor cpu 0", "x/2xg 0",
                                           "monitor event 999999999"});
  EXPECT_NE(out.find("now at step 5: cpu"), std::string::npos) << out;
  EXPECT_NE(out.find("step 5 of"), std::string::npos) << out;
  EXPECT_NE(out.find("=> step 5"), std::string::npos) << out;
  EXPECT_NE(out.find("progress"), std::string::npos) << out;
  EXPECT_NE(out.find("Cannot access memory at address 0x0"), std::string::npos) << out;
  EXPECT_NE(out.find("cannot go to event 999999999"), std::string::npos) << out;
}

}  // namespace
}  // namespace nestrr::gdbstub
