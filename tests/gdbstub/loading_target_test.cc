// The target that answers while the real one is built: a question about
// the state waits only up to its budget and then shows the start; points
// set meanwhile are handed over; the first resume waits for the real
// target, takes it to its start and resumes there. The real target here
// is a recorded-state one over a small made-up log, released by the test.
#include <gtest/gtest.h>

#include <future>

#include "nestrr/gdbstub/loading_target.h"
#include "nestrr/gdbstub/recorded_target.h"
#include "nestrr/gdbstub/server.h"

namespace nestrr::gdbstub {
namespace {

// cpu1: an NMI at 0x401000; cpu0: an assertion at 0x401234.
eventlog::Log small_log() {
  eventlog::Log log;
  log.header.emplace();
  log.header->set_cpu_count(2);
  log.streams.resize(2);
  for (uint32_t cpu = 0; cpu < 2; ++cpu) log.streams[cpu].cpu = cpu;
  eventlog::Event nmi;
  nmi.cpu = 1;
  nmi.tsc = 10;
  nmi.record.mutable_nmi_received()->set_interrupted_rip(0x401000);
  log.streams[1].events.push_back(nmi);
  eventlog::Event a;
  a.cpu = 0;
  a.tsc = 30;
  a.record.mutable_assertion_failure()->set_condition("x");
  a.record.mutable_assertion_failure()->set_rip(0x401234);
  log.streams[0].events.push_back(a);
  return log;
}

struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
};

LoadingTarget::Setup setup() {
  LoadingTarget::Setup s;
  s.cpu_count = 2;
  s.budget = std::chrono::milliseconds(20);
  s.progress = [] { return std::string("reading: 1.0 of 2.0 MB"); };
  return s;
}

TEST(LoadingTarget, ShowsTheStartWhileLoadingThenHandsOver) {
  auto gate = std::make_shared<Gate>();
  bool saw_shown_start = false;
  LoadingTarget t(setup(), [gate, &saw_shown_start](const LoadingTarget::Signals& s) {
    gate->opened.wait();
    saw_shown_start = s.shown_start.load();
    return std::unique_ptr<Target>(new RecordedTarget(small_log(), nullptr));
  });
  GdbServer server(t);
  bool no_reply;
  // What gdb asks first: no state needed, or the start of the history.
  EXPECT_NE(server.handle("qSupported", no_reply).find("PacketSize"), std::string::npos);
  EXPECT_EQ(server.handle("qfThreadInfo", no_reply), "m1,2");
  EXPECT_EQ(server.handle("?", no_reply), "T05thread:1;");
  EXPECT_EQ(t.registers(0).value[kRip], std::nullopt);
  EXPECT_NE(t.thread_description(1).find("still being read"), std::string::npos);
  EXPECT_NE(t.when().find("reading: 1.0 of 2.0 MB"), std::string::npos);
  std::string why;
  EXPECT_FALSE(t.seek(1, why));
  EXPECT_NE(why.find("still being read"), std::string::npos);
  // A breakpoint at the assertion's function is kept for the real target.
  EXPECT_EQ(server.handle("Z0,401234,1", no_reply), "OK");
  gate->open.set_value();
  // The resume waits for it, starts from its start (event 0), and stops
  // at the breakpoint (event 1).
  EXPECT_EQ(server.handle("c", no_reply), "T05thread:1;");
  EXPECT_TRUE(saw_shown_start);
  ASSERT_NE(t.real(), nullptr);
  EXPECT_EQ(t.real()->position(), 1u);
  EXPECT_EQ(t.position(), 1u);
  EXPECT_EQ(*t.registers(0).value[kRip], 0x401234u);
}

TEST(LoadingTarget, ReadyWithinTheBudgetIsUsedAsItIs) {
  LoadingTarget t(setup(), [](const LoadingTarget::Signals&) {
    return std::unique_ptr<Target>(new RecordedTarget(small_log(), nullptr));
  });
  ASSERT_TRUE(t.wait_ready());
  // The real target's own start: the assertion.
  EXPECT_EQ(t.position(), 1u);
  EXPECT_EQ(*t.registers(0).value[kRip], 0x401234u);
}

TEST(LoadingTarget, AFailedBuildEndsTheSessionAtTheNextResume) {
  LoadingTarget t(setup(), [](const LoadingTarget::Signals&) -> std::unique_ptr<Target> {
    throw std::runtime_error("cannot open log 'x.nrr': No such file or directory");
  });
  EXPECT_FALSE(t.wait_ready());
  EXPECT_NE(t.error().find("No such file"), std::string::npos);
  ResumeRequest c;
  EXPECT_EQ(t.resume(c).why, Stop::Why::kHistoryEnd);
}

}  // namespace
}  // namespace nestrr::gdbstub
