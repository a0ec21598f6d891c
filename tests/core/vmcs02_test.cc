// VMCS12 -> VMCS02 on entry (guest state copied, gpa fields through EPT01,
// EPTP -> EPT02, L0's host state and controls) and VMCS02 -> VMCS12 on exit.
#include <gtest/gtest.h>

#include "l1_helpers.h"

namespace nestrr::coretest {
namespace {

struct Remap {
  uint64_t gpa, hpa;
};
void remap(core_vcpu *v, void *arg) {
  auto *r = static_cast<Remap *>(arg);
  ASSERT_TRUE(core_ept01_map(v, r->gpa, r->hpa, EPT_RWX));
}

class Vmcs02 : public ::testing::Test {
 protected:
  Vmcs02() : m_(1, CORE_VARIANT_FIXED), v_(m_.vcpu(0)), base_(core_wl_l1_region(0)) {}
  Machine m_;
  core_vcpu *v_;
  uint64_t base_;
};

TEST_F(Vmcs02, GpaFieldsTranslatedThroughEpt01) {
  Remap r{base_ + CORE_WL_IO_A, 0x3fd000};
  core_ept01_change(v_, remap, &r);
  l1_prepare_vmcs12(v_);
  // VM-exit MSR-store area at an offset, enabled by a nonzero count.
  ASSERT_EQ(l1_insn(v_, CORE_VMWRITE, VMCS_EXIT_MSR_STORE_ADDR,
                    base_ + CORE_WL_MSR + 0x800).outcome, CORE_VMSUCCEED);
  ASSERT_EQ(l1_insn(v_, CORE_VMWRITE, VMCS_EXIT_MSR_STORE_COUNT, 1).outcome,
            CORE_VMSUCCEED);
  // Virtual-APIC address written but "use TPR shadow" off: ignored.
  ASSERT_EQ(l1_insn(v_, CORE_VMWRITE, VMCS_VIRTUAL_APIC_ADDR, 0x7000).outcome,
            CORE_VMSUCCEED);
  ASSERT_EQ(l1_insn(v_, CORE_VMLAUNCH).outcome, CORE_VMX_ENTERED_L2);

  EXPECT_EQ(core_vmcs02_read(v_, VMCS_IO_BITMAP_A), 0x3fd000u);
  EXPECT_EQ(core_vmcs02_read(v_, VMCS_IO_BITMAP_B), base_ + CORE_WL_IO_B);
  EXPECT_EQ(core_vmcs02_read(v_, VMCS_MSR_BITMAP), base_ + CORE_WL_MSR);
  EXPECT_EQ(core_vmcs02_read(v_, VMCS_EXIT_MSR_STORE_ADDR),
            base_ + CORE_WL_MSR + 0x800);
  EXPECT_EQ(core_vmcs02_read(v_, VMCS_VIRTUAL_APIC_ADDR), 0u);
  EXPECT_EQ(core_vmcs02_read(v_, VMCS_GUEST_RIP), 0x1000u);
  // EPT02, not L1's EPT12.
  EXPECT_EQ(core_vmcs02_read(v_, VMCS_EPT_POINTER) & EPT_ADDR_MASK,
            v_->ept02[v_->ept02_active].root_hpa);
  // L0's host state, not L1's.
  EXPECT_NE(core_vmcs02_read(v_, VMCS_HOST_RIP), 0xffff800000100000ull);
  EXPECT_NE(core_vmcs02_read(v_, VMCS_HOST_RIP), 0u);
}

TEST_F(Vmcs02, L0ForcesEptEvenWhenL1DoesNotUseIt) {
  ASSERT_TRUE(core_l1_write64(v_, base_ + CORE_WL_VMXON, CORE_VMCS_REVISION));
  ASSERT_TRUE(core_l1_write64(v_, base_ + CORE_WL_VMCS12, CORE_VMCS_REVISION));
  ASSERT_EQ(l1_insn(v_, CORE_VMXON, base_ + CORE_WL_VMXON).outcome, CORE_VMSUCCEED);
  ASSERT_EQ(l1_insn(v_, CORE_VMPTRLD, base_ + CORE_WL_VMCS12).outcome, CORE_VMSUCCEED);
  ASSERT_EQ(l1_insn(v_, CORE_VMLAUNCH).outcome, CORE_VMX_ENTERED_L2);
  EXPECT_TRUE(core_vmcs02_read(v_, VMCS_PROC_CONTROLS) & VMX_PROC_ACTIVATE_SECONDARY);
  EXPECT_TRUE(core_vmcs02_read(v_, VMCS_PROC2_CONTROLS) & VMX_PROC2_ENABLE_EPT);
  EXPECT_EQ(core_vmcs02_read(v_, VMCS_EPT_POINTER) & EPT_ADDR_MASK,
            m_.c()->ept01_root);
  uint64_t hpa = 0;
  EXPECT_EQ(core_l2_access(v_, 0x1234, &hpa), CORE_L2_ACCESS_OK);
  EXPECT_EQ(hpa, 0x1234u);  // L2 runs on L1's memory map
}

TEST_F(Vmcs02, ExitCopiesGuestStateAndExitInformationBack) {
  l1_prepare_vmcs12(v_);
  ASSERT_EQ(l1_insn(v_, CORE_VMLAUNCH).outcome, CORE_VMX_ENTERED_L2);
  // The "hardware" advanced L2 (VMCS02 is plain memory).
  v_->vmcs02[vmcs_field_index(VMCS_GUEST_RIP, nullptr)] = 0x1002;
  core_l2_exit(v_, VMX_EXIT_IO, 0x3f8);
  EXPECT_EQ(l1_insn(v_, CORE_VMREAD, VMCS_GUEST_RIP).value, 0x1002u);
  EXPECT_EQ(l1_insn(v_, CORE_VMREAD, VMCS_EXIT_REASON).value, VMX_EXIT_IO);
  EXPECT_EQ(l1_insn(v_, CORE_VMREAD, VMCS_EXIT_QUALIFICATION).value, 0x3f8u);
  // Controls are L1's, untouched by L0's forcing.
  EXPECT_EQ(l1_insn(v_, CORE_VMREAD, VMCS_IO_BITMAP_A).value,
            base_ + CORE_WL_IO_A);
}

}  // namespace
}  // namespace nestrr::coretest
