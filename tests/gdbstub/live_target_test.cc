// The live-replay target: constructing it and what gdb asks first (the CPU
// count) run nothing; the first question about the replay's state settles
// where it stands (the end, when the replay gets there in time); write
// watches both ways.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "nestrr/gdbstub/live_target.h"
#include "nestrr/replay/recorder.h"

namespace nestrr::gdbstub {
namespace {

eventlog::Log recorded() {
  replay::RecordOptions o;
  o.scenario = replay::default_scenario(CORE_VARIANT_FIXED, 2, 30);
  std::ostringstream out;
  replay::record(o, out);
  std::istringstream in(out.str());
  return eventlog::read_log(in);
}

TEST(LiveTarget, SettlesOnDemandOnce) {
  eventlog::Log log = recorded();
  LiveTarget t(log);
  EXPECT_EQ(t.cpu_count(), 2u);
  EXPECT_FALSE(t.settled());
  EXPECT_EQ(t.replay().steps(), 0u);
  Stop s = t.current_stop();  // the stop reply needs the end of the replay
  EXPECT_TRUE(t.settled());
  EXPECT_TRUE(t.end_known());
  const uint64_t end = t.position();
  EXPECT_GT(end, 100u);
  EXPECT_EQ(t.history_length(), end + 1);
  EXPECT_LT(s.cpu, 2u);
  EXPECT_EQ(t.position(), end);  // no second pass
}

TEST(LiveTarget, StartPastTheEndIsRefusedWhenSettling) {
  eventlog::Log log = recorded();
  LiveTarget t(log, 1'000'000'000ull);
  EXPECT_THROW(t.settle(), std::invalid_argument);
}

// Without time to reach the end, the target stands at step 0 and a
// continue finds the end.
TEST(LiveTarget, NoTimeToReachTheEndStartsAtStepZero) {
  eventlog::Log log = recorded();
  LiveTarget t(log);
  t.settle(std::chrono::milliseconds(0));
  EXPECT_EQ(t.position(), 0u);
  EXPECT_FALSE(t.end_known());
  ResumeRequest fwd;
  EXPECT_EQ(t.resume(fwd).why, Stop::Why::kHistoryEnd);
  EXPECT_TRUE(t.end_known());
  EXPECT_GT(t.position(), 100u);
}

uint32_t read_u32(LiveTarget& t, uint64_t addr) {
  std::string b = t.read_memory(addr, 4);
  EXPECT_EQ(b.size(), 4u);
  uint32_t v = 0;
  std::memcpy(&v, b.data(), std::min<size_t>(b.size(), 4));
  return v;
}

// A write watchpoint on cpu0's VMX mode: backward it stops before the
// last store that changed it (the writer about to run it), forward right
// after that store; every later position holds the final value, and the
// object stays at its address whichever way the replay moved. With the
// CPU's debug registers a stop is at the store's instruction; without,
// at the boundary of the step that stored.
TEST(LiveTarget, WriteWatchpointStopsAtTheLastChangeBothWays) {
  eventlog::Log log = recorded();
  LiveTarget t(log);
  t.settle();
  const uint64_t end = t.position();
  const uint64_t addr = reinterpret_cast<uint64_t>(&t.replay().core_state().vcpu[0].vmx_mode);
  const uint32_t final_mode = read_u32(t, addr);
  if (!t.hardware_watches())
    EXPECT_FALSE(t.insert_watchpoint(WatchKind::kRead, addr, 4));  // a comparison cannot see a read
  ASSERT_TRUE(t.insert_watchpoint(WatchKind::kWrite, addr, 4));

  // Backward, as gdb does: a store of the value already there is no change.
  ResumeRequest back;
  back.direction = Direction::kBackward;
  Stop s;
  int stops = 0;
  do {
    s = t.resume(back);
    ASSERT_LT(++stops, 10000);
  } while (s.why == Stop::Why::kWatchpoint && read_u32(t, addr) == final_mode);
  ASSERT_EQ(s.why, Stop::Why::kWatchpoint);
  EXPECT_EQ(s.watch_addr, addr);
  const Spot at = t.spot();
  ASSERT_LT(at.step, end);
  EXPECT_EQ(at.inside.has_value(), t.hardware_watches());
  EXPECT_NE(read_u32(t, addr), final_mode);
  const uint32_t writer = s.cpu;
  EXPECT_EQ(reinterpret_cast<uint64_t>(&t.replay().core_state().vcpu[0].vmx_mode), addr);

  // Every later position holds the final value: it was the last change.
  std::string why;
  for (uint64_t p = at.step + 1; p <= end; p += std::max<uint64_t>(1, (end - at.step) / 16)) {
    ASSERT_TRUE(t.seek(p, why)) << why;
    EXPECT_EQ(read_u32(t, addr), final_mode) << "at step " << p;
  }

  // Forward from there: the store itself.
  ASSERT_TRUE(t.seek(at.step, why)) << why;
  ResumeRequest fwd;
  do {
    s = t.resume(fwd);
  } while (s.why == Stop::Why::kWatchpoint && read_u32(t, addr) != final_mode);
  EXPECT_EQ(s.why, Stop::Why::kWatchpoint);
  EXPECT_EQ(t.spot().step, t.hardware_watches() ? at.step : at.step + 1);
  EXPECT_EQ(s.cpu, writer);
  EXPECT_EQ(read_u32(t, addr), final_mode);

  // Removed, nothing stops a continue before the end.
  EXPECT_TRUE(t.remove_watchpoint(WatchKind::kWrite, addr, 4));
  EXPECT_EQ(t.resume(fwd).why, Stop::Why::kHistoryEnd);
  EXPECT_EQ(t.position(), end);
}

}  // namespace
}  // namespace nestrr::gdbstub
