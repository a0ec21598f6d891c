// The replay a debugger drives: stepping, and seeking forward and back
// through checkpoints, lands in exactly the state a straight run has there.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "nestrr/replay/live_replay.h"
#include "nestrr/replay/recorder.h"
#include "recorded.h"

namespace nestrr::replay {
namespace {

struct Seen {
  uint64_t records = 0;
  std::vector<uint64_t> progress;
  std::vector<ParkedVcpu::State> state;
  std::vector<uint8_t> vcpu0;  // the core's first VCPU, bytes
};

Seen look(const LiveReplay& r) {
  Seen s;
  s.records = r.records_checked();
  for (uint32_t i = 0; i < r.cpu_count(); ++i) {
    ParkedVcpu v = r.vcpu(i);
    s.progress.push_back(v.progress);
    s.state.push_back(v.state);
  }
  // Its bytes but the pointer to its machine's core (a replay re-created
  // from the start, where checkpoints are off, has a new one).
  const auto* b = reinterpret_cast<const uint8_t*>(&r.core_state().vcpu[0]);
  s.vcpu0.assign(b, b + sizeof(core_vcpu));
  std::memset(s.vcpu0.data() + offsetof(core_vcpu, core), 0, sizeof(struct core*));
  return s;
}

void expect_same(const Seen& a, const Seen& b, uint64_t step) {
  EXPECT_EQ(a.records, b.records) << "step " << step;
  EXPECT_EQ(a.progress, b.progress) << "step " << step;
  EXPECT_EQ(a.state, b.state) << "step " << step;
  EXPECT_TRUE(a.vcpu0 == b.vcpu0) << "step " << step << ": the core's state differs";
}

TEST(LiveReplay, SeekingThroughCheckpointsLandsWhereAStraightRunIs) {
  // A length fixed by iterations, not by a time limit: a loaded machine
  // records fewer steps in the same time.
  const testing::Recording rec = testing::record_iterations(CORE_VARIANT_FIXED, 3, 1000);
  ASSERT_EQ(rec.result.end, RecordResult::End::kCompleted) << end_name(rec.result.end);
  eventlog::Log log = rec.log();

  LiveReplay r(log);
  std::vector<uint64_t> at;
  std::vector<Seen> seen;
  while (r.step()) {
    if (r.steps() % 9973 == 0) {
      at.push_back(r.steps());
      seen.push_back(look(r));
    }
  }
  ASSERT_FALSE(r.divergence()) << r.divergence()->message();
  ASSERT_GE(at.size(), 8u) << "the log is too short to cross checkpoints";
  const uint64_t end = r.steps();
  if (LiveReplay::can_checkpoint_here()) EXPECT_GE(r.checkpoint_count(), 2u);
  // Backward, then forward, then jumping about.
  for (size_t k = at.size(); k-- > 0;) {
    r.seek(at[k]);
    ASSERT_EQ(r.steps(), at[k]);
    expect_same(look(r), seen[k], at[k]);
  }
  for (size_t k = 0; k < at.size(); k += 3) {
    r.seek(at[k]);
    expect_same(look(r), seen[k], at[k]);
  }
  r.seek(at[at.size() / 2]);
  expect_same(look(r), seen[at.size() / 2], at[at.size() / 2]);
  r.seek(end + 10);  // past the end: stops at the end
  EXPECT_EQ(r.steps(), end);
  EXPECT_FALSE(r.divergence());
}

}  // namespace
}  // namespace nestrr::replay
