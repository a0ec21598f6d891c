// A tampered log stops the replay at the first divergence, with the CPU,
// the event index and both records.
#include <gtest/gtest.h>

#include <algorithm>

#include "nestrr/replay/replayer.h"
#include "recorded.h"

namespace nestrr::replay {
namespace {

using testing::vmxon_race;

// Index (in its CPU's stream) of the first event matching `pred`.
template <typename Pred>
std::pair<uint32_t, size_t> find_event(const eventlog::Log& log, Pred pred) {
  for (uint32_t s = 0; s < log.streams.size(); ++s)
    for (size_t i = 0; i < log.streams[s].events.size(); ++i)
      if (pred(log.streams[s].events[i].record)) return {s, i};
  ADD_FAILURE() << "no such event";
  return {0, 0};
}

ReplayResult replay_tampered(const eventlog::Log& log) {
  ReplayOptions o;
  o.symbolize = false;
  return replay(log, o);
}

TEST(Tamper, ChangedFieldIsTheDivergence) {
  eventlog::Log log = vmxon_race().log();
  // A VMX instruction's outcome. A race hit at the very first VMXON has
  // logged no VMX instruction yet (its record follows the instruction):
  // then the assertion's line, which replay compares too.
  bool vmx = false;
  for (const auto& st : log.streams)
    for (const auto& e : st.events) vmx = vmx || e.record.has_vmx_instruction();
  auto [s, i] = find_event(log, [vmx](const auto& r) {
    return vmx ? r.has_vmx_instruction() : r.has_assertion_failure();
  });
  auto& ev = log.streams[s].events[i];
  if (vmx)
    ev.record.mutable_vmx_instruction()->set_outcome(nestrr::v1::VmxInstruction::OUTCOME_FAIL_VALID);
  else
    ev.record.mutable_assertion_failure()->set_line(4242);
  ReplayResult r = replay_tampered(log);
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->cpu, log.streams[s].cpu);
  EXPECT_EQ(r.divergence->index, i);
  EXPECT_EQ(r.divergence->seq, ev.seq);
  if (vmx) {
    EXPECT_NE(r.divergence->expected.find("outcome: OUTCOME_FAIL_VALID"), std::string::npos)
        << r.divergence->message();
    EXPECT_NE(r.divergence->got.find("vmx_instruction"), std::string::npos);
    EXPECT_NE(r.divergence->got.find("OUTCOME_SUCCEED"), std::string::npos);
  } else {
    EXPECT_NE(r.divergence->expected.find("line: 4242"), std::string::npos) << r.divergence->message();
    EXPECT_NE(r.divergence->got.find("assertion_failure"), std::string::npos) << r.divergence->message();
    EXPECT_EQ(r.divergence->got.find("line: 4242"), std::string::npos) << r.divergence->message();
  }
  EXPECT_NE(r.divergence->message().find("cpu" + std::to_string(s) + " event " + std::to_string(i)),
            std::string::npos)
      << r.divergence->message();
}

TEST(Tamper, DroppedSyncPointIsTheDivergence) {
  eventlog::Log log = vmxon_race().log();
  auto [s, i] = find_event(log, [](const auto& r) {
    return r.has_sync_point() && r.sync_point().kind() == nestrr::v1::SyncPoint::KIND_ACQUIRE;
  });
  // As if the logger never wrote it: the records after it take its seq
  // (a missing seq would be a record lost in transport, where the replay
  // stops instead).
  auto& events = log.streams[s].events;
  events.erase(events.begin() + static_cast<long>(i));
  for (size_t k = i; k < events.size(); ++k) events[k].seq--;
  auto& trailer = log.streams[s].trailer;
  if (trailer) trailer->set_next_seq(trailer->next_seq() - 1);
  ReplayResult r = replay_tampered(log);
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->cpu, log.streams[s].cpu);
  EXPECT_NE(r.divergence->got.find("lock"), std::string::npos) << r.divergence->message();
}

TEST(Tamper, MovedNmiIsTheDivergence) {
  eventlog::Log log = vmxon_race().log();
  auto [s, i] = find_event(log, [](const auto& r) { return r.has_nmi_received(); });
  auto* nmi = log.streams[s].events[i].record.mutable_nmi_received();
  nmi->set_progress(nmi->progress() - 3);
  ReplayResult r = replay_tampered(log);
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->cpu, log.streams[s].cpu);
  EXPECT_FALSE(r.matched);
  EXPECT_NE(r.divergence->message().find("expected"), std::string::npos);
}

// Acquisitions of one lock, as (stream, index), in stream order.
std::vector<std::pair<uint32_t, size_t>> acquisitions(const eventlog::Log& log, uint32_t lock) {
  std::vector<std::pair<uint32_t, size_t>> out;
  for (uint32_t s = 0; s < log.streams.size(); ++s)
    for (size_t i = 0; i < log.streams[s].events.size(); ++i) {
      const auto& r = log.streams[s].events[i].record;
      if (r.has_sync_point() && r.sync_point().kind() == nestrr::v1::SyncPoint::KIND_ACQUIRE &&
          r.sync_point().object() == lock)
        out.push_back({s, i});
    }
  return out;
}

// A ticket says when the CPU gets the lock: swap the tickets of two
// acquisitions on different CPUs and the replay gives the lock in the
// swapped order, which the rest of the log no longer matches.
TEST(Tamper, SwappedTicketIsTheDivergence) {
  // Two PAL CPUs: both take the quiesce lock.
  RecordOptions o;
  o.scenario = default_scenario(CORE_VARIANT_FIXED, 3, 30);
  o.scenario.workload = {CORE_WORKLOAD_L1, CORE_WORKLOAD_PAL, CORE_WORKLOAD_PAL};
  o.time_limit = std::chrono::minutes(5);
  eventlog::Log log = testing::recording_of(o).log();
  auto acq = acquisitions(log, CORE_LOCK_QUIESCE);
  ASSERT_GE(acq.size(), 4u);
  // The first acquisition whose successor in ticket order is on another CPU.
  auto ticket = [&](std::pair<uint32_t, size_t> a) {
    return log.streams[a.first].events[a.second].record.sync_point().ticket();
  };
  std::sort(acq.begin(), acq.end(), [&](auto a, auto b) { return ticket(a) < ticket(b); });
  size_t k = 0;
  while (k + 1 < acq.size() && acq[k].first == acq[k + 1].first) ++k;
  ASSERT_LT(k + 1, acq.size()) << "every acquisition of the lock on one CPU";
  auto* later = log.streams[acq[k + 1].first].events[acq[k + 1].second].record.mutable_sync_point();
  auto* earlier = log.streams[acq[k].first].events[acq[k].second].record.mutable_sync_point();
  const uint64_t t = earlier->ticket();
  earlier->set_ticket(later->ticket());
  later->set_ticket(t);
  const uint64_t records = log.event_count();
  ReplayResult r = replay_tampered(log);
  ASSERT_TRUE(r.divergence);
  EXPECT_FALSE(r.matched);
  EXPECT_LT(r.events_checked, records);
}

// A version 2 log has no tickets: replay orders each lock's acquisitions by
// their TSC instead, and the same run replays the same.
TEST(Tamper, VersionTwoLogOrdersLocksByTheClock) {
  const testing::Recording rec = testing::record_iterations(CORE_VARIANT_FIXED, 3, 30);
  eventlog::Log log = rec.log();
  log.header->set_format_version(2);
  uint64_t cleared = 0;
  for (auto& stream : log.streams)
    for (auto& e : stream.events)
      if (e.record.has_sync_point() && e.record.sync_point().ticket() != 0) {
        e.record.mutable_sync_point()->clear_ticket();
        ++cleared;
      }
  ASSERT_GT(cleared, 0u);
  ReplayResult r = replay_tampered(log);
  EXPECT_TRUE(r.matched) << (r.divergence ? r.divergence->message() : "");
  EXPECT_EQ(r.events_checked, rec.log().event_count());
}

}  // namespace
}  // namespace nestrr::replay
