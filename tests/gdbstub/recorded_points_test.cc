// Recorded states: write watchpoints over the values the log recorded
// (memory snapshots), and continue stopping at an assertion failure, on a
// small made-up log.
#include <gtest/gtest.h>

#include "nestrr/gdbstub/recorded_target.h"

namespace nestrr::gdbstub {
namespace {

eventlog::Event snapshot(uint64_t tsc, uint64_t addr, std::string bytes) {
  eventlog::Event e;
  e.cpu = 0;
  e.tsc = tsc;
  e.record.mutable_memory_snapshot()->set_address(addr);
  e.record.mutable_memory_snapshot()->set_data(std::move(bytes));
  return e;
}

// cpu0 logs the word at 0x5000 as 1, 1, 2, then its assertion fails;
// cpu1 logs nothing about it.
eventlog::Log log_with_snapshots() {
  eventlog::Log log;
  log.header.emplace();
  log.header->set_cpu_count(1);
  log.streams.resize(1);
  auto& ev = log.streams[0].events;
  ev.push_back(snapshot(10, 0x5000, std::string("\x01\0\0\0", 4)));
  ev.push_back(snapshot(20, 0x5000, std::string("\x01\0\0\0", 4)));
  ev.push_back(snapshot(30, 0x4ffc, std::string("\0\0\0\0\x02\0\0\0", 8)));
  eventlog::Event a;
  a.tsc = 40;
  a.record.mutable_assertion_failure()->set_condition("x");
  a.record.mutable_assertion_failure()->set_rip(0x401234);
  ev.push_back(a);
  for (uint64_t i = 0; i < ev.size(); ++i) ev[i].seq = i;
  return log;
}

TEST(RecordedPoints, WriteWatchStopsWhereTheLoggedValueChanges) {
  RecordedTarget t(log_with_snapshots(), nullptr, 0);
  EXPECT_FALSE(t.insert_watchpoint(WatchKind::kRead, 0x5000, 4));  // a log shows no reads
  ASSERT_TRUE(t.insert_watchpoint(WatchKind::kWrite, 0x5000, 4));
  ResumeRequest fwd;
  Stop s = t.resume(fwd);
  EXPECT_EQ(s.why, Stop::Why::kWatchpoint);
  EXPECT_EQ(s.watch_addr, 0x5000u);
  EXPECT_EQ(t.position(), 2u);  // 1 -> 1 is no change; 1 -> 2 is
  EXPECT_EQ(t.read_memory(0x5000, 1), std::string("\x02", 1));
  // Backward, gdb is shown the value before the change.
  ResumeRequest back;
  back.direction = Direction::kBackward;
  s = t.resume(back);
  EXPECT_EQ(s.why, Stop::Why::kWatchpoint);
  EXPECT_EQ(t.position(), 1u);
  EXPECT_EQ(t.read_memory(0x5000, 1), std::string("\x01", 1));
  EXPECT_EQ(t.resume(back).why, Stop::Why::kHistoryBegin);
  // Removed: forward goes on to the assertion, as a program's abort.
  EXPECT_TRUE(t.remove_watchpoint(WatchKind::kWrite, 0x5000, 4));
  s = t.resume(fwd);
  EXPECT_TRUE(s.assertion);
  EXPECT_EQ(t.position(), 3u);
  EXPECT_EQ(t.resume(fwd).why, Stop::Why::kHistoryEnd);
}

}  // namespace
}  // namespace nestrr::gdbstub
