// An EPT01 change whose quiesce NMI lands at each yield point of CPU 0's
// VMLAUNCH in turn. VM entry builds VMCS02 with flushes blocked and flips
// the mode before unblocking, so with a complete flush VMCS02 ends up
// translated through the new EPT01 wherever the NMI lands; with the
// incomplete flush some landing points leave it stale.
#include <gtest/gtest.h>

#include "l1_helpers.h"

namespace nestrr::coretest {
namespace {

constexpr uint64_t kNewPage = 0x3fb000;

void remap_io_a(core_vcpu *v, void *) {
  ASSERT_TRUE(core_ept01_map(v, core_wl_l1_region(0) + CORE_WL_IO_A, kNewPage,
                             EPT_RWX));
}

struct Landing {
  bool stale = false;
  bool tripped = false;
  bool nmi_taken = false;
};

uint64_t vmlaunch_points(core_variant variant) {
  Machine m(2, variant);
  l1_prepare_vmcs12(m.vcpu(0));
  uint64_t start = m.cpu(0).points;
  m.set_body(0, [&m] { l1_insn(m.vcpu(0), CORE_VMLAUNCH); });
  m.run([](Machine &) { return 0; });
  return m.cpu(0).points - start;
}

Landing land_at(core_variant variant, uint64_t k) {
  Machine m(2, variant);
  core_vcpu *v0 = m.vcpu(0);
  l1_prepare_vmcs12(v0);
  uint64_t start = m.cpu(0).points;
  bool changed = false;
  m.set_body(0, [&] {
    ASSERT_EQ(l1_insn(v0, CORE_VMLAUNCH).outcome, CORE_VMX_ENTERED_L2);
    uint64_t hpa, i = 0;
    while (!changed)
      ASSERT_EQ(core_l2_access(v0, (i++ % 16) * CORE_PAGE_SIZE, &hpa),
                CORE_L2_ACCESS_OK);
  });
  m.set_body(1, [&] {
    core_ept01_change(m.vcpu(1), remap_io_a, nullptr);
    changed = true;
  });
  auto rr = Machine::round_robin();
  m.run([&](Machine &mm) {
    if (mm.runnable(0) && mm.cpu(0).points - start < k) return 0;
    if (mm.runnable(1) && !mm.cpu(1).waiting && !mm.cpu(0).nmi_pending &&
        mm.vcpu(0)->nmi_count == 0)
      return 1;
    return rr(mm);
  });
  Landing l;
  l.tripped = !m.assertions().empty();
  l.nmi_taken = v0->nmi_count > 0;
  uint64_t now = 0;
  EXPECT_TRUE(core_ept01_translate(v0, core_wl_l1_region(0) + CORE_WL_IO_A, &now));
  l.stale = core_vmcs02_read(v0, VMCS_IO_BITMAP_A) != now;
  return l;
}

TEST(VmlaunchWindow, CompleteFlushIsRightWhereverTheNmiLands) {
  for (auto variant : {CORE_VARIANT_FIXED, CORE_VARIANT_VMXON_TWO_FLAGS}) {
    uint64_t n = vmlaunch_points(variant);
    ASSERT_GT(n, 4u);
    for (uint64_t k = 1; k <= n; k++) {
      Landing l = land_at(variant, k);
      EXPECT_TRUE(l.nmi_taken) << k;
      EXPECT_FALSE(l.tripped) << k;
      EXPECT_FALSE(l.stale) << core_variant_name(variant) << " k=" << k;
    }
  }
}

TEST(VmlaunchWindow, IncompleteFlushIsStaleOnceVmcs02IsBuilt) {
  uint64_t n = vmlaunch_points(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE);
  int stale = 0;
  for (uint64_t k = 1; k <= n; k++) {
    Landing l = land_at(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, k);
    EXPECT_FALSE(l.tripped) << k;
    stale += l.stale;
  }
  EXPECT_GT(stale, 0);
  EXPECT_FALSE(land_at(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, 1).stale);
}

}  // namespace
}  // namespace nestrr::coretest
