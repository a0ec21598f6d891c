// VMX instruction handlers: the SDM's VMsucceed / VMfailInvalid /
// VMfailValid(n) conventions and the checks that choose between them.
#include <gtest/gtest.h>

#include "test_machine.h"

namespace nestrr::coretest {
namespace {

class VmxInsn : public ::testing::TestWithParam<core_variant> {
 protected:
  VmxInsn() : m_(1, GetParam()), v_(m_.vcpu(0)), base_(core_wl_l1_region(0)) {
    // L1 writes the revision identifier into its VMXON and VMCS regions.
    EXPECT_TRUE(core_l1_write64(v_, vmxon(), CORE_VMCS_REVISION));
    EXPECT_TRUE(core_l1_write64(v_, vmcs(), CORE_VMCS_REVISION));
    EXPECT_TRUE(core_l1_write64(v_, vmcs2(), CORE_VMCS_REVISION));
  }
  uint64_t vmxon() const { return base_ + CORE_WL_VMXON; }
  uint64_t vmcs() const { return base_ + CORE_WL_VMCS12; }
  uint64_t vmcs2() const { return base_ + CORE_WL_VMCS12 + 0x1000; }

  core_vmx_result insn(core_vmx_insn_kind k, uint64_t op = 0, uint64_t op2 = 0) {
    core_vmx_result r{};
    core_vmx_insn(v_, k, op, op2, &r);
    return r;
  }
  void expect_succeed(const core_vmx_result &r) {
    EXPECT_EQ(r.outcome, CORE_VMSUCCEED);
    EXPECT_EQ(v_->l1_rflags & CORE_RFLAGS_ARITH, 0u);
  }
  void expect_fail_invalid(const core_vmx_result &r) {
    EXPECT_EQ(r.outcome, CORE_VMFAIL_INVALID);
    EXPECT_EQ(v_->l1_rflags & CORE_RFLAGS_ARITH, CORE_RFLAGS_CF);
  }
  void expect_fail_valid(const core_vmx_result &r, uint32_t error) {
    EXPECT_EQ(r.outcome, CORE_VMFAIL_VALID);
    EXPECT_EQ(r.error, error);
    EXPECT_EQ(v_->l1_rflags & CORE_RFLAGS_ARITH, CORE_RFLAGS_ZF);
    EXPECT_EQ(core_vmcs12_peek(v_, VMCS_VM_INSTRUCTION_ERROR), error);
    auto rd = insn(CORE_VMREAD, VMCS_VM_INSTRUCTION_ERROR);
    EXPECT_EQ(rd.outcome, CORE_VMSUCCEED);
    EXPECT_EQ(rd.value, error);
  }
  void vmxon_and_load() {
    expect_succeed(insn(CORE_VMXON, vmxon()));
    expect_succeed(insn(CORE_VMCLEAR, vmcs()));
    expect_succeed(insn(CORE_VMPTRLD, vmcs()));
  }

  Machine m_;
  core_vcpu *v_;
  uint64_t base_;
};

TEST_P(VmxInsn, OutsideVmxOperationOnlyVmxonWorks) {
  v_->l1_rflags = CORE_RFLAGS_ARITH;
  for (auto k : {CORE_VMXOFF, CORE_VMCLEAR, CORE_VMPTRLD, CORE_VMPTRST,
                 CORE_VMREAD, CORE_VMWRITE, CORE_VMLAUNCH, CORE_VMRESUME,
                 CORE_INVEPT})
    EXPECT_EQ(insn(k, vmcs()).outcome, CORE_VMX_UD) << k;
  EXPECT_EQ(v_->l1_rflags, CORE_RFLAGS_ARITH);  // #UD leaves RFLAGS alone
  EXPECT_EQ(core_vmx_mode_peek(v_), CORE_VMX_DISABLED);
}

TEST_P(VmxInsn, VmxonChecksItsPointer) {
  expect_fail_invalid(insn(CORE_VMXON, vmxon() + 8));           // unaligned
  expect_fail_invalid(insn(CORE_VMXON, 1ull << CORE_PA_BITS));  // too wide
  expect_fail_invalid(insn(CORE_VMXON, 1ull << 30));            // no memory
  EXPECT_TRUE(core_l1_write64(v_, vmxon(), CORE_VMCS_REVISION + 1));
  expect_fail_invalid(insn(CORE_VMXON, vmxon()));               // revision
  EXPECT_EQ(core_vmx_mode_peek(v_), CORE_VMX_DISABLED);
  EXPECT_TRUE(core_l1_write64(v_, vmxon(), CORE_VMCS_REVISION));
  v_->l1_rflags = CORE_RFLAGS_ARITH;
  expect_succeed(insn(CORE_VMXON, vmxon()));
  EXPECT_EQ(core_vmx_mode_peek(v_), CORE_VMX_ROOT);
}

TEST_P(VmxInsn, VmxonInRootFails15) {
  expect_succeed(insn(CORE_VMXON, vmxon()));
  expect_fail_invalid(insn(CORE_VMXON, vmxon()));  // no current VMCS
  expect_succeed(insn(CORE_VMPTRLD, vmcs()));
  expect_fail_valid(insn(CORE_VMXON, vmxon()), VMXERR_VMXON_IN_ROOT);
}

TEST_P(VmxInsn, VmclearChecks) {
  expect_succeed(insn(CORE_VMXON, vmxon()));
  expect_fail_invalid(insn(CORE_VMCLEAR, vmcs() + 4));
  expect_fail_invalid(insn(CORE_VMCLEAR, vmxon()));
  expect_succeed(insn(CORE_VMPTRLD, vmcs()));
  expect_fail_valid(insn(CORE_VMCLEAR, vmcs() + 4),
                    VMXERR_VMCLEAR_INVALID_ADDRESS);
  expect_fail_valid(insn(CORE_VMCLEAR, 1ull << CORE_PA_BITS),
                    VMXERR_VMCLEAR_INVALID_ADDRESS);
  expect_fail_valid(insn(CORE_VMCLEAR, vmxon()), VMXERR_VMCLEAR_VMXON_POINTER);
  // Clearing the current VMCS makes "no current VMCS".
  expect_succeed(insn(CORE_VMCLEAR, vmcs()));
  auto st = insn(CORE_VMPTRST);
  expect_succeed(st);
  EXPECT_EQ(st.value, CORE_NO_VMCS_POINTER);
}

TEST_P(VmxInsn, VmptrldChecks) {
  expect_succeed(insn(CORE_VMXON, vmxon()));
  expect_fail_invalid(insn(CORE_VMPTRLD, vmcs() + 0x10));
  expect_fail_invalid(insn(CORE_VMPTRLD, vmxon()));
  expect_succeed(insn(CORE_VMPTRLD, vmcs()));
  expect_fail_valid(insn(CORE_VMPTRLD, vmcs() + 0x10),
                    VMXERR_VMPTRLD_INVALID_ADDRESS);
  expect_fail_valid(insn(CORE_VMPTRLD, vmxon()), VMXERR_VMPTRLD_VMXON_POINTER);
  EXPECT_TRUE(core_l1_write64(v_, vmcs2(), 0x1234));
  expect_fail_valid(insn(CORE_VMPTRLD, vmcs2()), VMXERR_VMPTRLD_BAD_REVISION);
  auto st = insn(CORE_VMPTRST);
  expect_succeed(st);
  EXPECT_EQ(st.value, vmcs());
}

TEST_P(VmxInsn, VmreadVmwrite) {
  expect_succeed(insn(CORE_VMXON, vmxon()));
  expect_fail_invalid(insn(CORE_VMREAD, VMCS_GUEST_RIP));
  expect_fail_invalid(insn(CORE_VMWRITE, VMCS_GUEST_RIP, 1));
  expect_succeed(insn(CORE_VMPTRLD, vmcs()));
  expect_succeed(insn(CORE_VMWRITE, VMCS_GUEST_RIP, 0x1234567890ull));
  auto r = insn(CORE_VMREAD, VMCS_GUEST_RIP);
  expect_succeed(r);
  EXPECT_EQ(r.value, 0x1234567890ull);
  // 16-bit field keeps 16 bits; 64-bit field has a high-half access.
  expect_succeed(insn(CORE_VMWRITE, VMCS_VPID, 0x12345));
  EXPECT_EQ(insn(CORE_VMREAD, VMCS_VPID).value, 0x2345u);
  expect_succeed(insn(CORE_VMWRITE, VMCS_IO_BITMAP_A, 0x1111222233334444ull));
  EXPECT_EQ(insn(CORE_VMREAD, VMCS_IO_BITMAP_A + 1).value, 0x11112222u);
  expect_succeed(insn(CORE_VMWRITE, VMCS_IO_BITMAP_A + 1, 0x55556666u));
  EXPECT_EQ(insn(CORE_VMREAD, VMCS_IO_BITMAP_A).value, 0x5555666633334444ull);
  expect_fail_valid(insn(CORE_VMREAD, 0x7ffe), VMXERR_UNSUPPORTED_COMPONENT);
  expect_fail_valid(insn(CORE_VMWRITE, 0x0001, 0), VMXERR_UNSUPPORTED_COMPONENT);
  expect_fail_valid(insn(CORE_VMWRITE, VMCS_EXIT_REASON, 1),
                    VMXERR_VMWRITE_READ_ONLY);
  // Values survive VMCLEAR (written back to L1 memory) and VMPTRLD.
  expect_succeed(insn(CORE_VMCLEAR, vmcs()));
  expect_succeed(insn(CORE_VMPTRLD, vmcs()));
  EXPECT_EQ(insn(CORE_VMREAD, VMCS_GUEST_RIP).value, 0x1234567890ull);
}

TEST_P(VmxInsn, VmclearInitializesARegionNotInUse) {
  // Garbage in a region L1 never used: VMCLEAR makes it a clear, empty VMCS.
  EXPECT_TRUE(core_l1_write64(v_, vmcs2() + 16, 0xdeadbeef));
  expect_succeed(insn(CORE_VMXON, vmxon()));
  expect_succeed(insn(CORE_VMCLEAR, vmcs2()));
  expect_succeed(insn(CORE_VMPTRLD, vmcs2()));
  for (uint32_t i = 0; i < 8; i++)
    EXPECT_EQ(insn(CORE_VMREAD, vmcs_fields[i].encoding).value, 0u);
  EXPECT_EQ(insn(CORE_VMLAUNCH).outcome, CORE_VMX_ENTERED_L2);
}

TEST_P(VmxInsn, LaunchAndResumeFollowLaunchState) {
  expect_succeed(insn(CORE_VMXON, vmxon()));
  expect_fail_invalid(insn(CORE_VMLAUNCH));
  expect_fail_invalid(insn(CORE_VMRESUME));
  expect_succeed(insn(CORE_VMCLEAR, vmcs()));
  expect_succeed(insn(CORE_VMPTRLD, vmcs()));
  expect_fail_valid(insn(CORE_VMRESUME), VMXERR_VMRESUME_NONLAUNCHED_VMCS);
  EXPECT_EQ(insn(CORE_VMLAUNCH).outcome, CORE_VMX_ENTERED_L2);
  EXPECT_EQ(core_vmx_mode_peek(v_), CORE_VMX_NON_ROOT);
  core_l2_exit(v_, VMX_EXIT_HLT, 7);
  EXPECT_EQ(core_vmx_mode_peek(v_), CORE_VMX_ROOT);
  EXPECT_EQ(insn(CORE_VMREAD, VMCS_EXIT_REASON).value, VMX_EXIT_HLT);
  EXPECT_EQ(insn(CORE_VMREAD, VMCS_EXIT_QUALIFICATION).value, 7u);
  expect_fail_valid(insn(CORE_VMLAUNCH), VMXERR_VMLAUNCH_NONCLEAR_VMCS);
  EXPECT_EQ(insn(CORE_VMRESUME).outcome, CORE_VMX_ENTERED_L2);
  core_l2_exit(v_, VMX_EXIT_CPUID, 0);
  // VMCLEAR makes the launch state clear again.
  expect_succeed(insn(CORE_VMCLEAR, vmcs()));
  expect_succeed(insn(CORE_VMPTRLD, vmcs()));
  expect_fail_valid(insn(CORE_VMRESUME), VMXERR_VMRESUME_NONLAUNCHED_VMCS);
}

TEST_P(VmxInsn, LaunchChecksControls) {
  vmxon_and_load();
  expect_succeed(insn(CORE_VMWRITE, VMCS_PROC_CONTROLS,
                      VMX_PROC_ACTIVATE_SECONDARY | VMX_PROC_USE_IO_BITMAPS));
  expect_succeed(insn(CORE_VMWRITE, VMCS_PROC2_CONTROLS, VMX_PROC2_ENABLE_EPT));
  expect_succeed(insn(CORE_VMWRITE, VMCS_EPT_POINTER,
                      (base_ + CORE_WL_EPT12) | EPTP_MEMTYPE_WB));  // walk 1
  expect_fail_valid(insn(CORE_VMLAUNCH), VMXERR_ENTRY_INVALID_CONTROL);
  expect_succeed(insn(CORE_VMWRITE, VMCS_EPT_POINTER,
                      (base_ + CORE_WL_EPT12) | EPTP_MEMTYPE_WB | EPTP_WALK_4));
  expect_succeed(insn(CORE_VMWRITE, VMCS_IO_BITMAP_A, base_ + CORE_WL_IO_A + 8));
  expect_fail_valid(insn(CORE_VMLAUNCH), VMXERR_ENTRY_INVALID_CONTROL);
  expect_succeed(insn(CORE_VMWRITE, VMCS_IO_BITMAP_A, 1ull << 31));  // no memory
  expect_fail_valid(insn(CORE_VMLAUNCH), VMXERR_ENTRY_INVALID_CONTROL);
  expect_succeed(insn(CORE_VMWRITE, VMCS_IO_BITMAP_A, base_ + CORE_WL_IO_A));
  EXPECT_EQ(insn(CORE_VMLAUNCH).outcome, CORE_VMX_ENTERED_L2);
}

TEST_P(VmxInsn, Invept) {
  vmxon_and_load();
  uint64_t eptp = (base_ + CORE_WL_EPT12) | EPTP_WALK_4 | EPTP_MEMTYPE_WB;
  expect_succeed(insn(CORE_INVEPT, 1, eptp));
  expect_succeed(insn(CORE_INVEPT, 2, 0));
  expect_fail_valid(insn(CORE_INVEPT, 1, base_ + CORE_WL_EPT12),  // walk 1
                    VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
  expect_fail_valid(insn(CORE_INVEPT, 0, eptp),
                    VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
  expect_fail_valid(insn(CORE_INVEPT, 3, 0),
                    VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
}

TEST_P(VmxInsn, VmxoffLeavesVmxOperation) {
  vmxon_and_load();
  expect_succeed(insn(CORE_VMXOFF));
  EXPECT_EQ(core_vmx_mode_peek(v_), CORE_VMX_DISABLED);
  EXPECT_EQ(insn(CORE_VMXOFF).outcome, CORE_VMX_UD);
  expect_succeed(insn(CORE_VMXON, vmxon()));  // and back in
}

INSTANTIATE_TEST_SUITE_P(
    Variants, VmxInsn,
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
