// StackSnapshot::from_log: the assertion's stack window grows by the memory
// snapshots its CPU logged right after it that continue the window, and by
// nothing else.
#include <gtest/gtest.h>

#include "nestrr/symbolize/snapshot.h"

namespace nestrr::symbolize {
namespace {

void add(eventlog::CpuStream& s, auto fill) {
  eventlog::Event e;
  e.cpu = s.cpu;
  e.seq = s.events.size();
  fill(e.record);
  s.events.push_back(std::move(e));
}

void add_snapshot(eventlog::CpuStream& s, uint64_t address, std::string bytes) {
  add(s, [&](v1::Record& r) {
    r.mutable_memory_snapshot()->set_address(address);
    r.mutable_memory_snapshot()->set_data(std::move(bytes));
  });
}

TEST(StackSnapshotFromLog, ContiguousSnapshotsAfterTheAssertionExtendTheWindow) {
  eventlog::Log log;
  eventlog::CpuStream& s = log.streams.emplace_back();
  add(s, [](v1::Record& r) {
    auto* a = r.mutable_assertion_failure();
    a->set_rip(0x401000);
    a->set_stack_address(0x1000);
    a->set_stack(std::string(16, 'a'));
  });
  add_snapshot(s, 0x1010, std::string(8, 'b'));  // continues the window
  add_snapshot(s, 0x9000, std::string(8, 'v'));  // the VCPU: elsewhere
  add_snapshot(s, 0x1018, std::string(8, 'c'));  // continues it again
  add(s, [](v1::Record& r) { r.mutable_sync_point()->set_object(1); });
  add_snapshot(s, 0x1020, std::string(8, 'd'));  // after another record: not part of the failure

  auto snap = StackSnapshot::from_log(log, {0, 0});
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->stack_address, 0x1000u);
  EXPECT_EQ(snap->stack, std::string(16, 'a') + std::string(8, 'b') + std::string(8, 'c'));
  EXPECT_EQ(snap->window(), "[0x1000, 0x1020)");
  uint64_t word = 0;
  EXPECT_TRUE(snap->read_stack(0x1018, word));
  EXPECT_FALSE(snap->read_stack(0x1020, word));

  // A record without a window is not extended; other records give nothing.
  eventlog::Log bare;
  eventlog::CpuStream& b = bare.streams.emplace_back();
  add(b, [](v1::Record& r) { r.mutable_assertion_failure()->set_rip(0x401000); });
  add_snapshot(b, 0, std::string(8, 'x'));
  auto none = StackSnapshot::from_log(bare, {0, 0});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->stack.empty());
  EXPECT_FALSE(StackSnapshot::from_log(bare, {0, 1}).has_value());
}

}  // namespace
}  // namespace nestrr::symbolize
