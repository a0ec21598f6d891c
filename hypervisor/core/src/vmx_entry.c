/*
 * VM entry to L2 (VMLAUNCH, VMRESUME) and what happens while L2 runs: its
 * memory accesses through EPT02 (filled on demand) and its exits to L1.
 * Entry and exit change the VMX mode and VMCS02 with EPT02 flushes blocked,
 * so an NMI flush sees either the old or the new state, never a mix.
 */
#include "core_internal.h"

void vmx_enter(struct core_vcpu *v, bool launch, struct core_vmx_result *res) {
  if (vmx_mode_get(v) != CORE_VMX_ROOT) {
    vmx_insn_ud(res);
    return;
  }
  uint32_t cur = vmcs12_current_slot(v);
  if (cur >= CORE_VMCS12_SLOTS) {
    vmx_insn_fail(v, res, 0);
    return;
  }
  struct core_vmcs12 *vmcs12 = &v->vmcs12[cur];
  if (launch && vmcs12->launched) {
    vmx_insn_fail(v, res, VMXERR_VMLAUNCH_NONCLEAR_VMCS);
    return;
  }
  if (!launch && !vmcs12->launched) {
    vmx_insn_fail(v, res, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
    return;
  }
  ept02_block_flush(v);
  uint32_t err = vmcs02_build(v, vmcs12);
  if (err) {
    ept02_unblock_flush(v);
    vmx_insn_fail(v, res, err);
    return;
  }
  if (launch) vmcs12->launched = 1;
  vmx_mode_set(v, CORE_VMX_NON_ROOT);
  ept02_unblock_flush(v);
  core_event(v, CORE_EV_VM_ENTRY, 1, launch, 0);
  res->outcome = CORE_VMX_ENTERED_L2;
  res->error = 0;
}

void core_l2_exit(struct core_vcpu *v, uint32_t reason, uint64_t qualification) {
  CORE_ASSERT(v, core_vmx_mode_peek(v) == CORE_VMX_NON_ROOT);
  /* What the hardware writes into VMCS02 on the exit. */
  vmcs_set(v->vmcs02, VMCS_EXIT_REASON, reason);
  vmcs_set(v->vmcs02, VMCS_EXIT_QUALIFICATION, qualification);
  gnmi_intercept_enter(v); /* L0 reflects the exit into L1 (VMCS01) */
  ept02_block_flush(v);
  struct core_vmcs12 *vmcs12 = find_current_vmcs12(v);
  vmcs02_to_vmcs12(v, vmcs12);
  vmx_mode_set(v, CORE_VMX_ROOT);
  ept02_unblock_flush(v);
  core_event(v, CORE_EV_VM_EXIT, reason, qualification, 1);
  gnmi_intercept_leave(v, true);
}

enum core_l2_access core_l2_access(struct core_vcpu *v, uint64_t l2_gpa,
                                   uint64_t *hpa) {
  CORE_ASSERT(v, core_vmx_mode_peek(v) == CORE_VMX_NON_ROOT);
  if (v->ept02_active == CORE_VMCS12_NONE) /* L1 runs L2 without EPT */
    return ept01_translate(v, l2_gpa, hpa, NULL) ? CORE_L2_ACCESS_OK
                                                 : CORE_L2_ACCESS_L0;
  if (ept02_lookup(v, l2_gpa, hpa)) return CORE_L2_ACCESS_OK;
  /* An EPT02 miss is an EPT-violation exit to L0. When L0 handles it alone
   * (fills EPT02, or the access is L0's to emulate), it resumes L2: log the
   * exit and that entry as XMHF's intercept handler would. */
  core_event(v, CORE_EV_VM_EXIT, VMX_EXIT_EPT_VIOLATION, 0, 1);
  ept02_block_flush(v);
  int r = ept02_fill(v, l2_gpa, hpa);
  ept02_unblock_flush(v);
  if (r == 0 || r == 2) core_event(v, CORE_EV_VM_ENTRY, 1, 0, 0);
  if (r == 0) return CORE_L2_ACCESS_OK;
  if (r == 2) return CORE_L2_ACCESS_L0;
  vmcs_set(v->vmcs02, VMCS_GUEST_PHYSICAL_ADDRESS, l2_gpa);
  core_l2_exit(v, VMX_EXIT_EPT_VIOLATION, 0);
  return CORE_L2_ACCESS_EXIT;
}
