// EPT: EPT01 identity map and changes, EPT12 walks (4 KiB and large pages)
// composed into EPT02, EPT violations reflected to L1, the EPT02 LRU.
#include <gtest/gtest.h>

#include "l1_helpers.h"

namespace nestrr::coretest {
namespace {

struct Remap {
  uint64_t gpa, hpa, rwx;
};
void remap(core_vcpu *v, void *arg) {
  auto *r = static_cast<Remap *>(arg);
  ASSERT_TRUE(core_ept01_map(v, r->gpa, r->hpa, r->rwx));
}

TEST(Ept01, IdentityMapOfL1Memory) {
  Machine m(1, CORE_VARIANT_FIXED);
  uint64_t hpa = 0;
  for (uint64_t gpa : {0ull, 0x1234ull, 0x200000ull + 0x8ull, (4ull << 20) - 8}) {
    ASSERT_TRUE(core_ept01_translate(m.vcpu(0), gpa, &hpa));
    EXPECT_EQ(hpa, gpa);
  }
  EXPECT_FALSE(core_ept01_translate(m.vcpu(0), 4ull << 20, &hpa));
  EXPECT_FALSE(core_ept01_translate(m.vcpu(0), 1ull << 38, &hpa));
}

TEST(Ept01, EntriesHaveTheSdmFormat) {
  Machine m(1, CORE_VARIANT_FIXED);
  const core *c = m.c();
  auto *pml4 = reinterpret_cast<uint64_t *>(m.mem() + c->ept01_root);
  uint64_t e4 = pml4[0];
  EXPECT_EQ(e4 & EPT_RWX, EPT_RWX);
  auto *pdpt = reinterpret_cast<uint64_t *>(m.mem() + (e4 & EPT_ADDR_MASK));
  auto *pd = reinterpret_cast<uint64_t *>(m.mem() + (pdpt[0] & EPT_ADDR_MASK));
  auto *pt = reinterpret_cast<uint64_t *>(m.mem() + (pd[1] & EPT_ADDR_MASK));
  // gpa 0x203000: PD index 1, PT index 3.
  EXPECT_EQ(pt[3], 0x203000ull | EPT_RWX | (EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT));
}

TEST(Ept01, ChangeThroughQuiesceRemapsAndUnmaps) {
  Machine m(1, CORE_VARIANT_FIXED);
  Remap r{0x5000, 0x3ff000, EPT_R};
  core_ept01_change(m.vcpu(0), remap, &r);
  uint64_t hpa = 0;
  ASSERT_TRUE(core_ept01_translate(m.vcpu(0), 0x5abc, &hpa));
  EXPECT_EQ(hpa, 0x3ffabcull);
  r = {0x5000, 0, 0};
  core_ept01_change(m.vcpu(0), remap, &r);
  EXPECT_FALSE(core_ept01_translate(m.vcpu(0), 0x5abc, &hpa));
  EXPECT_TRUE(core_ept01_translate(m.vcpu(0), 0x6000, &hpa));
  EXPECT_EQ(m.c()->quiesce.generation, 2u);
}

class Ept02 : public ::testing::Test {
 protected:
  Ept02() : m_(1, CORE_VARIANT_FIXED), v_(m_.vcpu(0)) {}
  void launch() {
    l1_prepare_vmcs12(v_);
    ASSERT_EQ(l1_insn(v_, CORE_VMLAUNCH).outcome, CORE_VMX_ENTERED_L2);
  }
  Machine m_;
  core_vcpu *v_;
};

TEST_F(Ept02, FillsFromEpt12TimesEpt01) {
  launch();
  uint64_t base = core_wl_l1_region(0), hpa = 0;
  EXPECT_EQ(core_l2_access(v_, 0x3456, &hpa), CORE_L2_ACCESS_OK);
  EXPECT_EQ(hpa, base + CORE_WL_L2_MEM + 0x3456);
  // Second access hits EPT02 without filling.
  uint64_t fills = v_->ept02[v_->ept02_active].fills;
  EXPECT_EQ(core_l2_access(v_, 0x3000, &hpa), CORE_L2_ACCESS_OK);
  EXPECT_EQ(v_->ept02[v_->ept02_active].fills, fills);
  // EPT02's leaf is in SDM format and points at the machine page.
  uint64_t eptp02 = core_vmcs02_read(v_, VMCS_EPT_POINTER);
  EXPECT_EQ(eptp02 & EPTP_FLAGS_MASK, EPTP_WALK_4 | EPTP_MEMTYPE_WB);
  EXPECT_EQ(eptp02 & EPT_ADDR_MASK, v_->ept02[v_->ept02_active].root_hpa);
}

TEST_F(Ept02, Ept01ChangeShowsThroughAfterFlush) {
  launch();
  uint64_t base = core_wl_l1_region(0), hpa = 0;
  ASSERT_EQ(core_l2_access(v_, 0x2000, &hpa), CORE_L2_ACCESS_OK);
  core_l2_exit(v_, VMX_EXIT_CPUID, 0);
  Remap r{base + CORE_WL_L2_MEM + 0x2000, 0x3fe000, EPT_RWX};
  core_ept01_change(v_, remap, &r);  // flushes this CPU's EPT02
  ASSERT_EQ(l1_insn(v_, CORE_VMRESUME).outcome, CORE_VMX_ENTERED_L2);
  ASSERT_EQ(core_l2_access(v_, 0x2010, &hpa), CORE_L2_ACCESS_OK);
  EXPECT_EQ(hpa, 0x3fe010ull);
}

TEST_F(Ept02, Ept12MissIsAnEptViolationExitToL1) {
  launch();
  uint64_t hpa = 0;
  EXPECT_EQ(core_l2_access(v_, 0x100000, &hpa), CORE_L2_ACCESS_EXIT);
  EXPECT_EQ(core_vmx_mode_peek(v_), CORE_VMX_ROOT);
  EXPECT_EQ(l1_insn(v_, CORE_VMREAD, VMCS_EXIT_REASON).value,
            VMX_EXIT_EPT_VIOLATION);
  EXPECT_EQ(l1_insn(v_, CORE_VMREAD, VMCS_GUEST_PHYSICAL_ADDRESS).value,
            0x100000u);
}

TEST_F(Ept02, Ept01MissStaysInL0) {
  launch();
  core_l2_exit(v_, VMX_EXIT_CPUID, 0);
  uint64_t base = core_wl_l1_region(0), hpa = 0;
  Remap r{base + CORE_WL_L2_MEM + 0x5000, 0, 0};
  core_ept01_change(v_, remap, &r);
  ASSERT_EQ(l1_insn(v_, CORE_VMRESUME).outcome, CORE_VMX_ENTERED_L2);
  EXPECT_EQ(core_l2_access(v_, 0x5000, &hpa), CORE_L2_ACCESS_L0);
  EXPECT_EQ(core_vmx_mode_peek(v_), CORE_VMX_NON_ROOT);
}

TEST_F(Ept02, LargePagesInEpt12) {
  l1_prepare_vmcs12(v_);
  uint64_t base = core_wl_l1_region(0);
  uint64_t pd = base + CORE_WL_EPT12 + 0x2000;
  // L2 [2 MiB, 4 MiB) -> L1 [2 MiB, 4 MiB) with one 2 MiB leaf, read-only.
  ASSERT_TRUE(core_l1_write64(v_, pd + 8, 0x200000ull | EPT_R | EPT_LARGE));
  ASSERT_EQ(l1_insn(v_, CORE_VMLAUNCH).outcome, CORE_VMX_ENTERED_L2);
  uint64_t hpa = 0;
  EXPECT_EQ(core_l2_access(v_, 0x2abcde, &hpa), CORE_L2_ACCESS_OK);
  EXPECT_EQ(hpa, 0x2abcdeull);
  // The EPT02 leaf is 4 KiB with the intersection of permissions.
  uint64_t e = 0;
  const core_ept02 &e02 = v_->ept02[v_->ept02_active];
  auto *pml4 = reinterpret_cast<uint64_t *>(m_.mem() + e02.root_hpa);
  auto *pdpt = reinterpret_cast<uint64_t *>(m_.mem() + (pml4[0] & EPT_ADDR_MASK));
  auto *pd02 = reinterpret_cast<uint64_t *>(m_.mem() + (pdpt[0] & EPT_ADDR_MASK));
  auto *pt02 = reinterpret_cast<uint64_t *>(m_.mem() + (pd02[1] & EPT_ADDR_MASK));
  e = pt02[0xab];
  EXPECT_EQ(e & EPT_ADDR_MASK, 0x2ab000ull);
  EXPECT_EQ(e & EPT_RWX, EPT_R);
}

TEST_F(Ept02, CacheIsLeastRecentlyUsed) {
  l1_prepare_vmcs12(v_);
  uint64_t base = core_wl_l1_region(0);
  uint64_t roots[5];
  // Five distinct EPT12 roots (copies of the PML4) through a 4-entry
  // cache: the least recently used instance is replaced.
  for (uint64_t i = 0; i < 5; i++) {
    uint64_t root = base + CORE_WL_L2_MEM + i * CORE_PAGE_SIZE;
    uint64_t pml4e = 0;
    ASSERT_TRUE(core_l1_read64(v_, base + CORE_WL_EPT12, &pml4e));
    ASSERT_TRUE(core_l1_write64(v_, root, pml4e));
    ASSERT_EQ(l1_insn(v_, CORE_VMWRITE, VMCS_EPT_POINTER,
                      root | EPTP_WALK_4 | EPTP_MEMTYPE_WB).outcome,
              CORE_VMSUCCEED);
    auto r = l1_insn(v_, i == 0 ? CORE_VMLAUNCH : CORE_VMRESUME);
    ASSERT_EQ(r.outcome, CORE_VMX_ENTERED_L2);
    roots[i] = root;
    core_l2_exit(v_, VMX_EXIT_CPUID, 0);
  }
  int found[5] = {0, 0, 0, 0, 0};
  for (const auto &e : v_->ept02)
    for (int i = 0; i < 5; i++)
      if (e.valid && (e.eptp12 & EPT_ADDR_MASK) == roots[i]) found[i]++;
  EXPECT_EQ(found[0], 0);  // evicted
  for (int i = 1; i < 5; i++) EXPECT_EQ(found[i], 1) << i;
}

}  // namespace
}  // namespace nestrr::coretest
