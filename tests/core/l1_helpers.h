// Small L1 helpers shared by the core tests: prepare a CPU's regions and
// EPT12 like the L1 workload does, and run VMX instructions.
#pragma once

#include <gtest/gtest.h>

#include "test_machine.h"

namespace nestrr::coretest {

inline core_vmx_result l1_insn(core_vcpu *v, core_vmx_insn_kind k,
                               uint64_t op = 0, uint64_t op2 = 0) {
  core_vmx_result r{};
  core_vmx_insn(v, k, op, op2, &r);
  return r;
}

// Regions, EPT12 (L2 [0, 16 pages) -> the CPU's L2 memory), VMXON, VMCLEAR,
// VMPTRLD and the VMWRITEs of bitmaps and EPT; L2 not launched yet.
inline void l1_prepare_vmcs12(core_vcpu *v) {
  uint64_t base = core_wl_l1_region(v->id);
  uint64_t pml4 = base + CORE_WL_EPT12;
  ASSERT_TRUE(core_l1_write64(v, base + CORE_WL_VMXON, CORE_VMCS_REVISION));
  ASSERT_TRUE(core_l1_write64(v, base + CORE_WL_VMCS12, CORE_VMCS_REVISION));
  ASSERT_TRUE(core_l1_write64(v, pml4, (pml4 + 0x1000) | EPT_RWX));
  ASSERT_TRUE(core_l1_write64(v, pml4 + 0x1000, (pml4 + 0x2000) | EPT_RWX));
  ASSERT_TRUE(core_l1_write64(v, pml4 + 0x2000, (pml4 + 0x3000) | EPT_RWX));
  for (uint64_t i = 0; i < CORE_WL_L2_PAGES; i++)
    ASSERT_TRUE(core_l1_write64(
        v, pml4 + 0x3000 + 8 * i,
        (base + CORE_WL_L2_MEM + i * CORE_PAGE_SIZE) | EPT_RWX));
  ASSERT_EQ(l1_insn(v, CORE_VMXON, base + CORE_WL_VMXON).outcome, CORE_VMSUCCEED);
  ASSERT_EQ(l1_insn(v, CORE_VMCLEAR, base + CORE_WL_VMCS12).outcome, CORE_VMSUCCEED);
  ASSERT_EQ(l1_insn(v, CORE_VMPTRLD, base + CORE_WL_VMCS12).outcome, CORE_VMSUCCEED);
  const std::pair<uint32_t, uint64_t> writes[] = {
      {VMCS_PROC_CONTROLS, VMX_PROC_USE_IO_BITMAPS | VMX_PROC_USE_MSR_BITMAPS |
                               VMX_PROC_ACTIVATE_SECONDARY},
      {VMCS_PROC2_CONTROLS, VMX_PROC2_ENABLE_EPT},
      {VMCS_IO_BITMAP_A, base + CORE_WL_IO_A},
      {VMCS_IO_BITMAP_B, base + CORE_WL_IO_B},
      {VMCS_MSR_BITMAP, base + CORE_WL_MSR},
      {VMCS_EPT_POINTER, pml4 | EPTP_WALK_4 | EPTP_MEMTYPE_WB},
      {VMCS_GUEST_RIP, 0x1000},
      {VMCS_HOST_RIP, 0xffff800000100000ull},
  };
  for (const auto &w : writes)
    ASSERT_EQ(l1_insn(v, CORE_VMWRITE, w.first, w.second).outcome,
              CORE_VMSUCCEED);
}

}  // namespace nestrr::coretest
