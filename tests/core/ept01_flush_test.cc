// Bug 1 of the seed: CPU 1 changes EPT01 (quiesce) while CPU 0 runs L2.
// The flush in CPU 0's NMI handler rebuilds EPT02 in every variant, but only
// the complete flush re-walks the VMCS02 guest-physical-address fields; with
// ept01-flush-incomplete the I/O bitmap A address in VMCS02 stays stale.
#include <gtest/gtest.h>

#include "l1_helpers.h"

namespace nestrr::coretest {
namespace {

constexpr uint64_t kNewPage = 0x3fc000;

struct Result {
  uint64_t vmcs02_io_a = 0;
  uint64_t translated_io_a = 0;
  uint64_t io_b = 0, io_b_translated = 0;
  bool ept02_flushed = false;
  bool rewalked = false;
  size_t assertions = 0;
  bool deadlocked = false;
};

void remap_io_a(core_vcpu *v, void *) {
  ASSERT_TRUE(core_ept01_map(v, core_wl_l1_region(0) + CORE_WL_IO_A, kNewPage,
                             EPT_RWX));
}

Result run(core_variant variant, Machine::Policy policy) {
  Machine m(2, variant);
  core_vcpu *v0 = m.vcpu(0);
  l1_prepare_vmcs12(v0);
  bool changed = false;
  m.set_body(0, [&] {
    core_vmx_result r{};
    core_vmx_insn(v0, CORE_VMLAUNCH, 0, 0, &r);
    ASSERT_EQ(r.outcome, CORE_VMX_ENTERED_L2);
    uint64_t hpa, i = 0;
    while (!changed)  // L2 keeps touching its memory
      ASSERT_EQ(core_l2_access(v0, (i++ % 16) * CORE_PAGE_SIZE, &hpa),
                CORE_L2_ACCESS_OK);
  });
  m.set_body(1, [&] {
    // Let CPU 0 get into L2 first.
    core_ept01_change(m.vcpu(1), remap_io_a, nullptr);
    changed = true;
  });
  auto order = [&, policy](Machine &mm) {
    if (core_vmx_mode_peek(mm.vcpu(0)) != CORE_VMX_NON_ROOT && mm.runnable(0))
      return 0;
    return policy(mm);
  };
  m.run(order);
  Result res;
  res.assertions = m.assertions().size();
  res.deadlocked = m.deadlocked();
  res.vmcs02_io_a = core_vmcs02_read(v0, VMCS_IO_BITMAP_A);
  EXPECT_TRUE(core_ept01_translate(v0, core_wl_l1_region(0) + CORE_WL_IO_A,
                                   &res.translated_io_a));
  res.io_b = core_vmcs02_read(v0, VMCS_IO_BITMAP_B);
  EXPECT_TRUE(core_ept01_translate(v0, core_wl_l1_region(0) + CORE_WL_IO_B,
                                   &res.io_b_translated));
  for (const auto &e : m.cpu(0).events) {
    if (e.kind == CORE_EV_EPT_FLUSH && (e.a & CORE_FLUSH_EPT02) &&
        e.b == CORE_ORIGIN_QUIESCE_NMI)
      res.ept02_flushed = true;
    if (e.kind == CORE_EV_EPT01_REWALK) res.rewalked = true;
  }
  return res;
}

TEST(Ept01Flush, IncompleteFlushLeavesVmcs02GpaFieldStale) {
  for (uint64_t seed = 0; seed < 8; seed++) {
    Result r = run(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE,
                   seed ? Machine::seeded_random(seed) : Machine::round_robin());
    EXPECT_EQ(r.assertions, 0u);
    EXPECT_FALSE(r.deadlocked);
    EXPECT_TRUE(r.ept02_flushed);
    EXPECT_FALSE(r.rewalked);
    EXPECT_EQ(r.translated_io_a, kNewPage);
    EXPECT_NE(r.vmcs02_io_a, r.translated_io_a) << "seed " << seed;
    EXPECT_EQ(r.vmcs02_io_a, core_wl_l1_region(0) + CORE_WL_IO_A);
  }
}

TEST(Ept01Flush, CompleteFlushRewalksEveryGpaField) {
  for (auto variant : {CORE_VARIANT_FIXED, CORE_VARIANT_VMXON_TWO_FLAGS}) {
    for (uint64_t seed = 0; seed < 8; seed++) {
      Result r = run(variant, seed ? Machine::seeded_random(seed)
                                   : Machine::round_robin());
      EXPECT_EQ(r.assertions, 0u);
      EXPECT_FALSE(r.deadlocked);
      EXPECT_TRUE(r.ept02_flushed);
      EXPECT_TRUE(r.rewalked);
      EXPECT_EQ(r.vmcs02_io_a, r.translated_io_a) << "seed " << seed;
      EXPECT_EQ(r.vmcs02_io_a, kNewPage);
      EXPECT_EQ(r.io_b, r.io_b_translated);
    }
  }
}

}  // namespace
}  // namespace nestrr::coretest
