// Exploration: PCT finds the VMXON race and its log replays to the same
// assertion; bounded search exhausts the fixed variant clean; the
// incomplete flush shows up as a stale VMCS02 field; PCT against the
// uniformly random baseline, reported (no timing assertions).
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "nestrr/eventlog/log.h"
#include "nestrr/replay/explore.h"
#include "nestrr/replay/replayer.h"

namespace nestrr::replay {
namespace {

ExploreOptions options(core_variant v, ExploreStrategy s, core_workload_kind other = CORE_WORKLOAD_PAL) {
  ExploreOptions o;
  o.scenario = explore_scenario(v, 2, other);
  o.strategy = s;
  o.seed = 1;
  return o;
}

eventlog::Log parse(const std::string& bytes) {
  std::istringstream in(bytes);
  return eventlog::read_log(in);
}

TEST(Explore, PctFindsTheVmxonRaceAndItsLogReplays) {
  ExploreOptions o = options(CORE_VARIANT_VMXON_TWO_FLAGS, ExploreStrategy::kPct);
  o.schedules = 2000;
  ExploreResult r = explore(o);
  ASSERT_EQ(r.findings.size(), 1u) << "no race in " << r.schedules << " schedules";
  const ExploreFinding& f = r.findings[0];
  EXPECT_EQ(f.kind, ExploreFinding::Kind::kAssertion) << f.summary;
  EXPECT_EQ(f.condition, "cpu_has_current_vmcs12(vcpu)");
  EXPECT_EQ(f.schedule, r.schedules);
  std::printf("pct: VMXON race after %llu schedules (%.0f schedules/s)\n",
              static_cast<unsigned long long>(r.schedules), r.schedules_per_second());

  eventlog::Log log = parse(f.log);
  ASSERT_TRUE(log.header && log.header->has_scenario());
  EXPECT_EQ(log.header->scenario().origin(), "explore");
  ReplayOptions ro;
  ro.symbolize = false;
  ReplayResult rep = replay(log, ro);
  ASSERT_TRUE(rep.matched) << rep.divergence->message();
  ASSERT_TRUE(rep.failure);
  EXPECT_EQ(rep.failure->cpu, f.cpu);
  EXPECT_EQ(rep.failure->condition, f.condition);
  EXPECT_EQ(rep.failure->line, f.line);
  EXPECT_EQ(rep.failure->progress, f.progress);
}

TEST(Explore, BoundedSearchOnFixedIsExhaustedClean) {
  ExploreOptions o = options(CORE_VARIANT_FIXED, ExploreStrategy::kBounded);
  o.bound = 1;
  o.schedules = 0;
  ExploreResult r = explore(o);
  EXPECT_TRUE(r.exhausted);
  EXPECT_TRUE(r.findings.empty()) << r.findings[0].summary;
  EXPECT_GT(r.schedules, 1u);
  std::printf("bounded (bound 1) on fixed: %llu schedules, exhausted, %.0f schedules/s\n",
              static_cast<unsigned long long>(r.schedules), r.schedules_per_second());
}

// Two CPUs that register PALs: one spins on the PAL lock while the other,
// holding it, quiesces. The spinning CPU takes the quiesce NMI inside its
// wait and its handler must run on, or the initiator waits for its ack
// forever (what every run at 3 or more CPUs reported before).
TEST(Explore, FixedOnFourCpusIsDeadlockFreeUnderEveryStrategy) {
  for (auto s : {ExploreStrategy::kRandom, ExploreStrategy::kPct, ExploreStrategy::kBounded}) {
    ExploreOptions o = options(CORE_VARIANT_FIXED, s);
    o.scenario = explore_scenario(CORE_VARIANT_FIXED, 4, CORE_WORKLOAD_PAL);
    o.schedules = 1000;
    o.bound = 1;
    ExploreResult r = explore(o);
    EXPECT_TRUE(r.findings.empty()) << strategy_name(s) << ": " << r.findings[0].summary;
    EXPECT_GT(r.schedules, 100u) << strategy_name(s);
  }
}

TEST(Explore, FindsTheVmxonRaceOnFourCpus) {
  // Before the fix every run here ended in the same false deadlock.
  ExploreOptions o = options(CORE_VARIANT_VMXON_TWO_FLAGS, ExploreStrategy::kRandom);
  o.scenario = explore_scenario(CORE_VARIANT_VMXON_TWO_FLAGS, 4, CORE_WORKLOAD_PAL);
  o.schedules = 2000;
  ExploreResult r = explore(o);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].condition, "cpu_has_current_vmcs12(vcpu)") << r.findings[0].summary;
}

TEST(Explore, BoundedSearchFindsTheVmxonRace) {
  ExploreOptions o = options(CORE_VARIANT_VMXON_TWO_FLAGS, ExploreStrategy::kBounded);
  o.bound = 1;
  o.schedules = 0;
  ExploreResult r = explore(o);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].condition, "cpu_has_current_vmcs12(vcpu)");
  std::printf("bounded (bound 1): VMXON race after %llu schedules\n",
              static_cast<unsigned long long>(r.schedules));
}

TEST(Explore, IncompleteFlushLeavesAStaleVmcs02Field) {
  ExploreOptions o = options(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, ExploreStrategy::kPct,
                             CORE_WORKLOAD_REMAP);
  o.schedules = 2000;
  ExploreResult r = explore(o);
  ASSERT_EQ(r.findings.size(), 1u) << "nothing in " << r.schedules << " schedules";
  const ExploreFinding& f = r.findings[0];
  EXPECT_EQ(f.kind, ExploreFinding::Kind::kViolation) << f.summary;
  std::printf("pct on ept01-flush-incomplete: %s after %llu schedules\n", f.summary.c_str(),
              static_cast<unsigned long long>(r.schedules));
}

// The two guest-NMI bugs of the XMHF64 thesis: found, the finding replays,
// and fixed, with the same guest NMIs and quiesces, has neither.
ExploreFinding find_guest_nmi_bug(core_variant v) {
  ExploreOptions o;
  o.scenario = explore_scenario(v, 3, CORE_WORKLOAD_NMI, 2);
  o.strategy = ExploreStrategy::kRandom;
  o.schedules = 2000;
  ExploreResult r = explore(o);
  EXPECT_EQ(r.findings.size(), 1u) << core_variant_name(v) << ": nothing in " << r.schedules;
  if (r.findings.empty()) return {};
  ExploreFinding f = r.findings[0];
  eventlog::Log log = parse(f.log);
  ReplayOptions ro;
  ro.symbolize = false;
  ReplayResult rep = replay(log, ro);
  EXPECT_TRUE(rep.matched) << rep.divergence->message();
  EXPECT_EQ(rep.failure.has_value(), f.kind == ExploreFinding::Kind::kAssertion);
  return f;
}

TEST(Explore, FindsAnNmiInjectedIntoTheGuestsRunningNmiHandler) {
  ExploreFinding f = find_guest_nmi_bug(CORE_VARIANT_NMI_INJECT_UNCHECKED);
  EXPECT_EQ(f.kind, ExploreFinding::Kind::kAssertion) << f.summary;
  EXPECT_EQ(f.condition, "!guest_in_nmi_handler(v)") << f.summary;
}

TEST(Explore, FindsAnNmiLostToTheInterceptHandlersVmcsWrite) {
  ExploreFinding f = find_guest_nmi_bug(CORE_VARIANT_NMI_VMCS_OVERWRITE);
  // The sender waits forever for the guest's acknowledgment.
  EXPECT_EQ(f.kind, ExploreFinding::Kind::kDeadlock) << f.summary;
  EXPECT_NE(f.summary.find("gnmi_wait_ack"), std::string::npos) << f.summary;
}

TEST(Explore, FixedHandlesGuestNmisUnderEveryStrategy) {
  for (auto s : {ExploreStrategy::kRandom, ExploreStrategy::kPct, ExploreStrategy::kBounded}) {
    ExploreOptions o;
    o.scenario = explore_scenario(CORE_VARIANT_FIXED, 4, CORE_WORKLOAD_NMI, 2);
    o.scenario.workload[2] = CORE_WORKLOAD_PAL;  // quiesce NMIs among the guest's
    o.strategy = s;
    o.schedules = 1000;
    o.bound = 1;
    ExploreResult r = explore(o);
    EXPECT_TRUE(r.findings.empty()) << strategy_name(s) << ": " << r.findings[0].summary;
  }
}

TEST(Explore, PctAgainstRandomBaseline) {
  uint64_t pct = 0, rnd = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    for (auto s : {ExploreStrategy::kPct, ExploreStrategy::kRandom}) {
      ExploreOptions o = options(CORE_VARIANT_VMXON_TWO_FLAGS, s);
      o.seed = seed;
      o.schedules = 5000;
      o.check = false;
      ExploreResult r = explore(o);
      (s == ExploreStrategy::kPct ? pct : rnd) += r.schedules;
    }
  }
  std::printf("schedules to the VMXON race over 3 seeds: pct %llu, random %llu (ratio %.2f)\n",
              static_cast<unsigned long long>(pct), static_cast<unsigned long long>(rnd),
              static_cast<double>(rnd) / static_cast<double>(pct));
  EXPECT_GT(pct, 0u);
}

}  // namespace
}  // namespace nestrr::replay
