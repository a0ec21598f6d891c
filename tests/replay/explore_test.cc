// Exploration: PCT finds the VMXON race and its log replays to the same
// assertion; bounded search exhausts the fixed variant clean; the
// incomplete flush shows up as a stale VMCS02 field; PCT against the
// uniformly random baseline, reported (no timing assertions).
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <sstream>

#include "nestrr/eventlog/log.h"
#include "nestrr/replay/explore.h"
#include "nestrr/replay/explore_result.h"
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
  for (auto s : {ExploreStrategy::kRandom, ExploreStrategy::kPct, ExploreStrategy::kBounded,
                 ExploreStrategy::kLanding}) {
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
  for (auto s : {ExploreStrategy::kRandom, ExploreStrategy::kPct, ExploreStrategy::kBounded,
                 ExploreStrategy::kLanding}) {
    ExploreOptions o;
    o.scenario = explore_scenario(CORE_VARIANT_FIXED, 4, CORE_WORKLOAD_NMI, 2);
    o.scenario.workload[2] = CORE_WORKLOAD_PAL;  // quiesce NMIs among the guest's
    o.strategy = s;
    o.schedules = 500;
    o.bound = 1;
    ExploreResult r = explore(o);
    EXPECT_TRUE(r.findings.empty()) << strategy_name(s) << ": " << r.findings[0].summary;
  }
}

// Landing coverage: every bug of every variant, at 2 and 4 CPUs, within a
// few dozen schedules; on the incomplete flush, where uniform random finds
// nothing in 2,000 schedules.
TEST(Explore, LandingFindsEveryVariantsBugInAFewSchedules) {
  for (auto v : {CORE_VARIANT_VMXON_TWO_FLAGS, CORE_VARIANT_EPT01_FLUSH_INCOMPLETE,
                 CORE_VARIANT_NMI_INJECT_UNCHECKED, CORE_VARIANT_NMI_VMCS_OVERWRITE}) {
    for (uint32_t cpus : {2u, 4u}) {
      ExploreOptions o;
      o.scenario = explore_scenario(v, cpus, explore_other_workload(v), 1);
      o.strategy = ExploreStrategy::kLanding;
      o.schedules = 40;
      o.minimize = false;
      ExploreResult r = explore(o);
      ASSERT_EQ(r.findings.size(), 1u) << core_variant_name(v) << " cpus=" << cpus;
      std::printf("landing: %s at %u CPUs in %llu schedules: %s\n", core_variant_name(v), cpus,
                  static_cast<unsigned long long>(r.schedules), r.findings[0].summary.c_str());
    }
  }
  ExploreOptions o;
  o.scenario = explore_scenario(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, 2, CORE_WORKLOAD_REMAP, 1);
  o.strategy = ExploreStrategy::kRandom;
  o.schedules = 2000;
  EXPECT_TRUE(explore(o).findings.empty()) << "random found the incomplete flush too";
}

// A minimized finding costs no more than it did as found, fails the same
// way, and its log replays to that failure.
TEST(Explore, MinimizedFindingReplaysAndCostsLess) {
  ExploreOptions o = options(CORE_VARIANT_VMXON_TWO_FLAGS, ExploreStrategy::kRandom);
  o.scenario = explore_scenario(CORE_VARIANT_VMXON_TWO_FLAGS, 4, CORE_WORKLOAD_PAL, 4);
  o.seed = 3;
  ExploreResult r = explore(o);
  ASSERT_EQ(r.findings.size(), 1u);
  const ExploreFinding& f = r.findings[0];
  EXPECT_EQ(f.condition, "cpu_has_current_vmcs12(vcpu)");
  EXPECT_GT(f.minimize_runs, 0u);
  EXPECT_LT(f.cost.preemptions + f.cost.late_nmis, f.found_cost.preemptions + f.found_cost.late_nmis);
  EXPECT_LE(f.cost.nmis, f.found_cost.nmis);
  std::printf("minimized in %llu runs: %llu preemptions + %llu late NMIs (%llu NMIs), as found "
              "%llu + %llu (%llu NMIs)\n",
              static_cast<unsigned long long>(f.minimize_runs),
              static_cast<unsigned long long>(f.cost.preemptions),
              static_cast<unsigned long long>(f.cost.late_nmis),
              static_cast<unsigned long long>(f.cost.nmis),
              static_cast<unsigned long long>(f.found_cost.preemptions),
              static_cast<unsigned long long>(f.found_cost.late_nmis),
              static_cast<unsigned long long>(f.found_cost.nmis));
  ReplayOptions ro;
  ro.symbolize = false;
  ReplayResult rep = replay(parse(f.log), ro);
  ASSERT_TRUE(rep.matched) << rep.divergence->message();
  ASSERT_TRUE(rep.failure);
  EXPECT_EQ(rep.failure->condition, f.condition);
  EXPECT_EQ(rep.failure->progress, f.progress);
}

// The shards of a search, merged, are the search: the same findings (with
// the same minimized logs) and counts, for an indexed strategy with and
// without --all, and for bounded search's subtrees.
nestrr::v1::ExploreRun sharded(ExploreOptions o, uint32_t n) {
  std::vector<nestrr::v1::ExploreRun> parts;
  for (uint32_t i = n; i-- > 0;) {  // any order
    o.shard = {i, n};
    parts.push_back(from_json(to_json(to_proto(o, explore(o)))));
  }
  return merge_shards(parts);
}

void expect_same_search(const nestrr::v1::ExploreRun& whole, const nestrr::v1::ExploreRun& merged) {
  EXPECT_EQ(merged.merged_shards(), 4u);
  EXPECT_EQ(merged.schedules(), whole.schedules());
  ASSERT_EQ(merged.finding_size(), whole.finding_size());
  for (int i = 0; i < whole.finding_size(); ++i) {
    EXPECT_EQ(merged.finding(i).schedule(), whole.finding(i).schedule());
    EXPECT_EQ(merged.finding(i).summary(), whole.finding(i).summary());
    EXPECT_EQ(merged.finding(i).cost().DebugString(), whole.finding(i).cost().DebugString());
    EXPECT_TRUE(merged.finding(i).log() == whole.finding(i).log()) << "finding " << i;
  }
}

TEST(Explore, ShardsMergeIntoTheWholeSearch) {
  for (bool all : {false, true}) {
    for (auto s : {ExploreStrategy::kLanding, ExploreStrategy::kRandom, ExploreStrategy::kPct}) {
      SCOPED_TRACE(std::string(strategy_name(s)) + (all ? " --all" : ""));
      ExploreOptions o = options(CORE_VARIANT_VMXON_TWO_FLAGS, s);
      o.scenario = explore_scenario(CORE_VARIANT_VMXON_TWO_FLAGS, 3, CORE_WORKLOAD_PAL, 2);
      o.seed = 5;
      o.schedules = 40;
      o.all = all;
      nestrr::v1::ExploreRun whole = to_proto(o, explore(o));
      ASSERT_GT(whole.finding_size(), 0);
      nestrr::v1::ExploreRun merged = sharded(o, 4);
      expect_same_search(whole, merged);
      if (all) EXPECT_EQ(merged.steps(), whole.steps());
    }
  }
  ExploreOptions o = options(CORE_VARIANT_VMXON_TWO_FLAGS, ExploreStrategy::kBounded);
  o.bound = 1;
  o.schedules = 0;
  o.all = true;
  o.minimize = false;
  nestrr::v1::ExploreRun whole = to_proto(o, explore(o));
  nestrr::v1::ExploreRun merged = sharded(o, 4);
  EXPECT_TRUE(whole.exhausted());
  EXPECT_TRUE(merged.exhausted());
  EXPECT_EQ(merged.schedules(), whole.schedules());
  EXPECT_EQ(merged.steps(), whole.steps());
  std::multiset<std::string> a, b;
  for (const auto& f : whole.finding()) a.insert(f.log());
  for (const auto& f : merged.finding()) b.insert(f.log());
  EXPECT_EQ(a.size(), b.size());
  EXPECT_TRUE(a == b) << "bounded shards found other schedules than the whole walk";
}

TEST(Explore, MergeRefusesStrangersAndGaps) {
  ExploreOptions o = options(CORE_VARIANT_FIXED, ExploreStrategy::kRandom);
  o.schedules = 10;
  std::vector<nestrr::v1::ExploreRun> parts;
  for (uint32_t i = 0; i < 3; ++i) {
    o.shard = {i, 3};
    parts.push_back(to_proto(o, explore(o)));
  }
  EXPECT_NO_THROW(merge_shards(parts));
  auto missing = parts;
  missing.pop_back();
  EXPECT_THROW(merge_shards(missing), std::invalid_argument);
  auto twice = parts;
  twice[2] = twice[1];
  EXPECT_THROW(merge_shards(twice), std::invalid_argument);
  auto stranger = parts;
  stranger[1].set_seed(99);
  EXPECT_THROW(merge_shards(stranger), std::invalid_argument);
  EXPECT_THROW(parse_shard("4/4"), std::invalid_argument);
  EXPECT_THROW(parse_shard("1"), std::invalid_argument);
  EXPECT_THROW(parse_shard("a/2"), std::invalid_argument);
  EXPECT_THROW(parse_shard("0/0"), std::invalid_argument);
  EXPECT_EQ(parse_shard("2/5").index, 2u);
  EXPECT_THROW(from_json("{\"strategy\": 3"), std::invalid_argument);
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
