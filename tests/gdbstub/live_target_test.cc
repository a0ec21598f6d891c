// The live-replay target answers before its first pass: constructing it
// and what gdb asks first (the CPU count) run nothing; the first question
// about the replay's state runs the whole pass, once.
#include <gtest/gtest.h>

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

TEST(LiveTarget, FirstPassRunsOnDemandOnce) {
  eventlog::Log log = recorded();
  LiveTarget t(log);
  EXPECT_EQ(t.cpu_count(), 2u);
  EXPECT_FALSE(t.first_pass_done());
  EXPECT_EQ(t.replay().steps(), 0u);
  Stop s = t.current_stop();  // the stop reply needs the end of the replay
  EXPECT_TRUE(t.first_pass_done());
  const uint64_t end = t.position();
  EXPECT_GT(end, 100u);
  EXPECT_EQ(t.history_length(), end + 1);
  EXPECT_LT(s.cpu, 2u);
  EXPECT_EQ(t.position(), end);  // no second pass
}

TEST(LiveTarget, StartPastTheEndIsRefusedAtThePass) {
  eventlog::Log log = recorded();
  LiveTarget t(log, 1'000'000'000ull);
  EXPECT_THROW(t.first_pass(), std::invalid_argument);
}

}  // namespace
}  // namespace nestrr::gdbstub
