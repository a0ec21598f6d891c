// The VMXON race of the seed: CPU 1 changes EPT01 (a quiesce) while CPU 0
// executes VMXON. The quiesce NMI is aimed at each yield point of CPU 0's
// VMXON in turn. With two flags stored in the seed's order, exactly the
// point between "is_vmx_operation = 1" and "is_vmx_root_operation = 1"
// makes the NMI handler see "L2 running" and trip
// cpu_has_current_vmcs12(vcpu); with the tri-state mode no point does.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_machine.h"

namespace nestrr::coretest {
namespace {

constexpr uint32_t kCpu0 = 0, kCpu1 = 1;

void prepare(Machine &m) {
  uint64_t base = core_wl_l1_region(kCpu0);
  ASSERT_TRUE(core_l1_write64(m.vcpu(kCpu0), base + CORE_WL_VMXON,
                              CORE_VMCS_REVISION));
}

void vmxon_body(Machine &m) {
  m.set_body(kCpu0, [&m] {
    core_vmx_result r{};
    core_vmx_insn(m.vcpu(kCpu0), CORE_VMXON,
                  core_wl_l1_region(kCpu0) + CORE_WL_VMXON, 0, &r);
    EXPECT_EQ(r.outcome, CORE_VMSUCCEED);
  });
}

void noop_change(core_vcpu *, void *) {}

// Point ids CPU 0 passes while executing VMXON alone.
std::vector<uint32_t> vmxon_points(core_variant variant) {
  Machine m(2, variant);
  prepare(m);
  size_t start = m.cpu(kCpu0).trace.size();
  vmxon_body(m);
  m.run([](Machine &) { return static_cast<int>(kCpu0); });
  auto &t = m.cpu(kCpu0).trace;
  return std::vector<uint32_t>(t.begin() + static_cast<long>(start), t.end());
}

struct Outcome {
  bool tripped = false;
  std::string condition;
  std::string file;
  bool nmi_taken = false;
};

// Runs CPU 0 up to its k-th VMXON point (1-based), lets CPU 1 start the
// quiesce (its NMI is then pending at that point), then round-robin.
Outcome race_at(core_variant variant, uint64_t k) {
  Machine m(2, variant);
  prepare(m);
  uint64_t start = m.cpu(kCpu0).points;
  vmxon_body(m);
  m.set_body(kCpu1, [&m] { core_ept01_change(m.vcpu(kCpu1), noop_change, nullptr); });
  auto rr = Machine::round_robin();
  m.run([&](Machine &mm) {
    if (mm.runnable(kCpu0) && mm.cpu(kCpu0).points - start < k) return 0;
    if (mm.runnable(kCpu1) && !mm.cpu(kCpu1).waiting &&
        !mm.cpu(kCpu0).nmi_pending && mm.vcpu(kCpu0)->nmi_count == 0)
      return 1;
    return rr(mm);
  });
  Outcome o;
  o.nmi_taken = m.vcpu(kCpu0)->nmi_count > 0;
  for (const auto &a : m.assertions()) {
    o.tripped = true;
    o.condition = a.condition;
    o.file = a.file;
  }
  if (!o.tripped) {
    EXPECT_FALSE(m.deadlocked());
    EXPECT_EQ(core_vmx_mode_peek(m.vcpu(kCpu0)), CORE_VMX_ROOT);
  }
  return o;
}

TEST(VmxonRace, TwoFlagsTripsOnlyBetweenTheTwoStores) {
  auto points = vmxon_points(CORE_VARIANT_VMXON_TWO_FLAGS);
  ASSERT_GE(points.size(), 4u);
  int trips = 0;
  for (uint64_t k = 1; k <= points.size(); k++) {
    Outcome o = race_at(CORE_VARIANT_VMXON_TWO_FLAGS, k);
    EXPECT_TRUE(o.nmi_taken) << "k=" << k;
    bool between = points[k - 1] == CORE_POINT_VMXON_SET_ROOT;
    EXPECT_EQ(o.tripped, between) << "k=" << k << " point=" << points[k - 1];
    if (o.tripped) {
      trips++;
      EXPECT_EQ(o.condition, "cpu_has_current_vmcs12(vcpu)");
      EXPECT_EQ(o.file, "vmcs12.c");
    }
  }
  EXPECT_EQ(trips, 1);
}

TEST(VmxonRace, FixedNeverTrips) {
  auto points = vmxon_points(CORE_VARIANT_FIXED);
  ASSERT_GE(points.size(), 2u);
  for (uint64_t k = 1; k <= points.size(); k++) {
    Outcome o = race_at(CORE_VARIANT_FIXED, k);
    EXPECT_TRUE(o.nmi_taken) << "k=" << k;
    EXPECT_FALSE(o.tripped) << "k=" << k << " " << o.condition;
  }
}

TEST(VmxonRace, IncompleteFlushNeverLooksForVmcs12) {
  auto points = vmxon_points(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE);
  for (uint64_t k = 1; k <= points.size(); k++) {
    Outcome o = race_at(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, k);
    EXPECT_TRUE(o.nmi_taken) << "k=" << k;
    EXPECT_FALSE(o.tripped) << "k=" << k;
  }
}

TEST(VmxonRace, TwoFlagsPointSequenceHasTheWindow) {
  auto points = vmxon_points(CORE_VARIANT_VMXON_TWO_FLAGS);
  auto it = std::find(points.begin(), points.end(),
                      static_cast<uint32_t>(CORE_POINT_VMXON_SET_OPERATION));
  ASSERT_NE(it, points.end());
  ASSERT_NE(it + 1, points.end());
  EXPECT_EQ(*(it + 1), static_cast<uint32_t>(CORE_POINT_VMXON_SET_ROOT));
}

}  // namespace
}  // namespace nestrr::coretest
