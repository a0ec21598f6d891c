// Exhaustive landing: one full L1 workload iteration on CPU 0 (VMXON ...
// VMLAUNCH, L2 exits, VMRESUME, ... VMXOFF) with CPU 1's quiesce NMI aimed
// at each of CPU 0's yield points in turn. Only vmxon-two-flags trips, and
// only at the point between its two flag stores.
#include <gtest/gtest.h>

#include "test_machine.h"

namespace nestrr::coretest {
namespace {

core_config l1_config(core_variant variant) {
  core_config cfg = make_config(2, variant);
  cfg.workload[0].kind = CORE_WORKLOAD_L1;
  cfg.workload[0].iterations = 1;
  cfg.workload[0].l2_exits = 2;
  return cfg;
}

void noop_change(core_vcpu *, void *) {}

std::vector<uint32_t> workload_points(core_variant variant) {
  Machine m(l1_config(variant));
  m.set_body(0, [&m] {
    while (core_workload_step(m.c(), 0)) {
    }
  });
  m.run([](Machine &) { return 0; });
  EXPECT_TRUE(m.assertions().empty());
  return m.cpu(0).trace;
}

struct Landing {
  bool tripped = false;
  bool completed = false;
};

Landing land_at(core_variant variant, uint64_t k) {
  Machine m(l1_config(variant));
  m.set_body(0, [&m] {
    while (core_workload_step(m.c(), 0)) {
    }
  });
  m.set_body(1, [&m] { core_ept01_change(m.vcpu(1), noop_change, nullptr); });
  auto rr = Machine::round_robin();
  m.run([&](Machine &mm) {
    if (mm.runnable(0) && mm.cpu(0).points < k) return 0;
    if (mm.runnable(1) && !mm.cpu(1).waiting && !mm.cpu(0).nmi_pending &&
        mm.vcpu(0)->nmi_count == 0)
      return 1;
    return rr(mm);
  });
  Landing l;
  l.tripped = !m.assertions().empty();
  if (l.tripped) {
    EXPECT_EQ(m.assertions()[0].condition, "cpu_has_current_vmcs12(vcpu)");
  }
  l.completed = m.vcpu(0)->wl_done && !m.deadlocked();
  EXPECT_EQ(m.vcpu(0)->nmi_count, 1u) << "k=" << k;
  return l;
}

class NmiEverywhere : public ::testing::TestWithParam<core_variant> {};

TEST_P(NmiEverywhere, TripsOnlyInTheVmxonWindowOfTwoFlags) {
  core_variant variant = GetParam();
  auto points = workload_points(variant);
  ASSERT_GT(points.size(), 50u);
  int trips = 0;
  for (uint64_t k = 1; k <= points.size(); k++) {
    Landing l = land_at(variant, k);
    bool window = variant == CORE_VARIANT_VMXON_TWO_FLAGS &&
                  points[k - 1] == CORE_POINT_VMXON_SET_ROOT;
    EXPECT_EQ(l.tripped, window) << "k=" << k << " point " << points[k - 1];
    EXPECT_EQ(l.completed, !window) << "k=" << k;
    trips += l.tripped;
  }
  EXPECT_EQ(trips, variant == CORE_VARIANT_VMXON_TWO_FLAGS ? 1 : 0);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, NmiEverywhere,
    ::testing::Values(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE,
                      CORE_VARIANT_VMXON_TWO_FLAGS, CORE_VARIANT_FIXED),
    [](const auto &info) {
      std::string s = core_variant_name(info.param);
      for (auto &ch : s)
        if (ch == '-') ch = '_';
      return s;
    });

}  // namespace
}  // namespace nestrr::coretest
