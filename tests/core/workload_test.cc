// Multi-CPU workloads (L1 guest hypervisors and PALs) driven to completion
// under round-robin and seeded-random schedules; with vmxon-two-flags a
// schedule search finds the seed's assertion.
#include <gtest/gtest.h>

#include "test_machine.h"

namespace nestrr::coretest {
namespace {

core_config mixed(uint32_t cpus, core_variant variant, uint32_t iterations) {
  core_config cfg = make_config(cpus, variant);
  for (uint32_t i = 0; i < cpus; i++) {
    // The last CPU (and every fourth) runs PALs; the others run L1.
    bool pal = i == cpus - 1 || i % 4 == 3;
    cfg.workload[i].kind = pal ? CORE_WORKLOAD_PAL : CORE_WORKLOAD_L1;
    cfg.workload[i].iterations = iterations;
    cfg.workload[i].l2_exits = 3;
    cfg.workload[i].pal_pages = 2;
  }
  return cfg;
}

void expect_complete(Machine &m, const std::string &what) {
  EXPECT_TRUE(m.assertions().empty())
      << what << ": " << m.assertions()[0].condition << " at "
      << m.assertions()[0].file << ":" << m.assertions()[0].line;
  EXPECT_FALSE(m.deadlocked()) << what;
  for (uint32_t i = 0; i < m.cpu_count(); i++) {
    EXPECT_TRUE(m.vcpu(i)->wl_done) << what << " cpu " << i;
    EXPECT_EQ(core_vmx_mode_peek(m.vcpu(i)), CORE_VMX_DISABLED) << what;
  }
  // Every PAL was unregistered: EPT01 is the identity map again.
  uint64_t hpa = 0;
  for (uint32_t i = 0; i < m.cpu_count(); i++) {
    EXPECT_TRUE(core_ept01_translate(m.vcpu(0), core_wl_pal_region(i), &hpa));
    EXPECT_EQ(hpa, core_wl_pal_region(i));
  }
}

class Workloads : public ::testing::TestWithParam<core_variant> {};

TEST_P(Workloads, RoundRobinTwoToEightCpus) {
  for (uint32_t cpus = 2; cpus <= CORE_MAX_CPUS; cpus++) {
    Machine m(mixed(cpus, GetParam(), 3));
    m.use_workloads();
    m.run(Machine::round_robin());
    expect_complete(m, "cpus=" + std::to_string(cpus));
  }
}

TEST_P(Workloads, SeededRandomSchedules) {
  for (uint64_t seed = 1; seed <= 24; seed++) {
    uint32_t cpus = 2 + static_cast<uint32_t>(seed % 7);
    Machine m(mixed(cpus, GetParam(), 2));
    m.use_workloads();
    m.run(Machine::seeded_random(seed));
    expect_complete(m, "seed=" + std::to_string(seed));
  }
}

TEST_P(Workloads, QuiescesReachEveryCpu) {
  Machine m(mixed(4, GetParam(), 2));
  m.use_workloads();
  m.run(Machine::seeded_random(7));
  expect_complete(m, "seed=7");
  // One PAL CPU: 2 registrations + 2 unregistrations = 4 quiesces, each
  // acknowledged by the 3 other CPUs in their NMI handlers.
  EXPECT_EQ(m.c()->quiesce.generation, 4u);
  for (uint32_t i = 0; i < 3; i++) {
    EXPECT_EQ(m.vcpu(i)->nmi_count, 4u) << i;
    // Each NMI is logged with its sender and token (the quiesce generation).
    uint64_t token = 0;
    for (const auto &e : m.cpu(i).events) {
      if (e.kind != CORE_EV_NMI_RECEIVED) continue;
      EXPECT_EQ(e.c, 3u);
      EXPECT_EQ(e.b, ++token);
    }
    EXPECT_EQ(token, 4u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Safe, Workloads,
    ::testing::Values(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, CORE_VARIANT_FIXED),
    [](const auto &info) {
      std::string s = core_variant_name(info.param);
      for (auto &ch : s)
        if (ch == '-') ch = '_';
      return s;
    });

TEST(WorkloadsTwoFlags, ScheduleSearchFindsTheVmxonRace) {
  int tripped = 0, seeds = 0;
  for (uint64_t seed = 1; seed <= 400 && tripped == 0; seed++, seeds++) {
    Machine m(mixed(2, CORE_VARIANT_VMXON_TWO_FLAGS, 4));
    m.use_workloads();
    m.run(Machine::seeded_random(seed));
    for (const auto &a : m.assertions()) {
      EXPECT_EQ(a.condition, "cpu_has_current_vmcs12(vcpu)");
      EXPECT_EQ(a.cpu, 0u);  // the L1 CPU, in its NMI handler
      tripped++;
    }
  }
  EXPECT_GT(tripped, 0) << "no schedule out of " << seeds << " hit the window";
}

}  // namespace
}  // namespace nestrr::coretest

namespace nestrr::coretest {
namespace {

// CPU 0 runs L1, CPU 1 moves L1's bitmap pages around (remap workload).
core_config l1_and_remap(core_variant variant, uint32_t moves) {
  core_config cfg = make_config(2, variant);
  cfg.workload[0].kind = CORE_WORKLOAD_L1;
  cfg.workload[0].iterations = 4;
  cfg.workload[0].l2_exits = 4;
  cfg.workload[1].kind = CORE_WORKLOAD_REMAP;
  cfg.workload[1].iterations = moves;
  return cfg;
}

class RemapWorkload : public ::testing::TestWithParam<core_variant> {};

TEST_P(RemapWorkload, MovesBitmapPagesAndBringsThemHome) {
  for (uint64_t seed = 1; seed <= 8; seed++) {
    Machine m(l1_and_remap(GetParam(), 6));  // each of 3 pages out and back
    m.use_workloads();
    m.run(Machine::seeded_random(seed));
    if (GetParam() == CORE_VARIANT_VMXON_TWO_FLAGS && !m.assertions().empty()) {
      // The quiesce NMIs can land between VMXON's two stores: the seed's race.
      EXPECT_EQ(m.assertions()[0].condition, std::string("cpu_has_current_vmcs12(vcpu)"));
      continue;
    }
    EXPECT_TRUE(m.assertions().empty()) << "seed " << seed;
    EXPECT_FALSE(m.deadlocked()) << "seed " << seed;
    EXPECT_EQ(m.c()->quiesce.generation, 6u);
    uint64_t moves = 0;
    for (const auto &e : m.cpu(1).events) moves += e.kind == CORE_EV_EPT01_CHANGE;
    EXPECT_EQ(moves, 6u);
    for (uint64_t page : {CORE_WL_IO_A, CORE_WL_IO_B, CORE_WL_MSR}) {
      uint64_t gpa = core_wl_l1_region(0) + page, hpa = 0;
      EXPECT_TRUE(core_ept01_translate(m.vcpu(0), gpa, &hpa));
      EXPECT_EQ(hpa, gpa) << "seed " << seed;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, RemapWorkload,
                         ::testing::Values(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE,
                                           CORE_VARIANT_VMXON_TWO_FLAGS, CORE_VARIANT_FIXED));

}  // namespace
}  // namespace nestrr::coretest
