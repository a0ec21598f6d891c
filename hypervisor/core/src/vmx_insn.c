/*
 * L1's VMX instructions, one handler each, with the SDM's outcome rules:
 * VMsucceed clears CF, PF, AF, ZF, SF, OF; VMfailInvalid sets CF (no current
 * VMCS); VMfailValid sets ZF and stores the error number in the current
 * VMCS's VM-instruction error field. "VMfail" picks between the two.
 */
#include "core_internal.h"

static void vmsucceed(struct core_vcpu *v, struct core_vmx_result *res) {
  v->l1_rflags &= ~CORE_RFLAGS_ARITH;
  res->outcome = CORE_VMSUCCEED;
  res->error = 0;
}

static void vmfail_invalid(struct core_vcpu *v, struct core_vmx_result *res) {
  v->l1_rflags = (v->l1_rflags & ~CORE_RFLAGS_ARITH) | CORE_RFLAGS_CF;
  res->outcome = CORE_VMFAIL_INVALID;
  res->error = 0;
}

static void vmfail_valid(struct core_vcpu *v, struct core_vmx_result *res,
                         uint32_t error) {
  uint32_t cur = vmcs12_current_slot(v);
  CORE_ASSERT(v, cur < CORE_VMCS12_SLOTS);
  vmcs_set(v->vmcs12[cur].value, VMCS_VM_INSTRUCTION_ERROR, error);
  v->l1_rflags = (v->l1_rflags & ~CORE_RFLAGS_ARITH) | CORE_RFLAGS_ZF;
  res->outcome = CORE_VMFAIL_VALID;
  res->error = error;
}

static void vmfail(struct core_vcpu *v, struct core_vmx_result *res,
                   uint32_t error) {
  if (cpu_has_current_vmcs12(v))
    vmfail_valid(v, res, error);
  else
    vmfail_invalid(v, res);
}

static void raise_ud(struct core_vmx_result *res) {
  res->outcome = CORE_VMX_UD;
  res->error = 0;
}

/* 4 KiB aligned and within the physical-address width. */
static bool vmx_pointer_ok(uint64_t pa) {
  return (pa & (CORE_PAGE_SIZE - 1)) == 0 && (pa >> CORE_PA_BITS) == 0;
}

/* Revision identifier at an L1 region; false if the page is not mapped. */
static bool read_revision(struct core_vcpu *v, uint64_t gpa, uint32_t *rev) {
  uint64_t word;
  if (!core_l1_read64(v, gpa, &word)) return false;
  *rev = (uint32_t)word & 0x7fffffffu; /* bit 31: shadow-VMCS indicator */
  return true;
}

static CORE_NOINLINE void handle_vmxon(struct core_vcpu *v, uint64_t vmxon_ptr,
                                       struct core_vmx_result *res) {
  enum core_vmx_mode mode = vmx_mode_get(v);
  if (mode == CORE_VMX_ROOT) {
    vmfail(v, res, VMXERR_VMXON_IN_ROOT);
    return;
  }
  CORE_ASSERT(v, mode == CORE_VMX_DISABLED);
  uint32_t rev;
  if (!vmx_pointer_ok(vmxon_ptr) || !read_revision(v, vmxon_ptr, &rev) ||
      rev != CORE_VMCS_REVISION) {
    vmfail_invalid(v, res);
    return;
  }
  if (core_two_flags(v)) {
    /* The historical order: "in VMX operation" becomes visible before
     * "root", so an NMI in between sees "L2 running". */
    core_point(v, CORE_POINT_VMXON_SET_OPERATION);
    v->is_vmx_operation = 1;
    /* The window: an NMI taken here (where the seed's NMI landed, at the
     * store of the VMXON pointer) sees "in VMX operation, not root". */
    core_point(v, CORE_POINT_VMXON_SET_ROOT);
    v->vmxon_pointer = vmxon_ptr;
    v->is_vmx_root_operation = 1;
    core_point(v, CORE_POINT_VMXON_CLEAR_CURRENT);
    v->cur_vmcs12 = CORE_VMCS12_NONE;
  } else {
    /* One store makes the CPU "root"; no intermediate state exists. */
    v->vmxon_pointer = vmxon_ptr;
    core_point(v, CORE_POINT_VMXON_CLEAR_CURRENT);
    v->cur_vmcs12 = CORE_VMCS12_NONE;
    core_point(v, CORE_POINT_VMXON_SET_MODE);
    __atomic_store_n(&v->vmx_mode, (uint32_t)CORE_VMX_ROOT, __ATOMIC_RELEASE);
  }
  core_event(v, CORE_EV_VMX_MODE_CHANGE, CORE_VMX_DISABLED, CORE_VMX_ROOT, 0);
  vmsucceed(v, res);
}

static CORE_NOINLINE void handle_vmxoff(struct core_vcpu *v,
                                        struct core_vmx_result *res) {
  if (vmx_mode_get(v) != CORE_VMX_ROOT) {
    raise_ud(res);
    return;
  }
  vmx_mode_set(v, CORE_VMX_DISABLED);
  vmcs12_set_current(v, CORE_VMCS12_NONE);
  vmsucceed(v, res);
}

static CORE_NOINLINE void handle_vmclear(struct core_vcpu *v, uint64_t gpa,
                                         struct core_vmx_result *res) {
  if (vmx_mode_get(v) != CORE_VMX_ROOT) {
    raise_ud(res);
    return;
  }
  uint64_t word;
  if (!vmx_pointer_ok(gpa) || !core_l1_read64(v, gpa, &word)) {
    vmfail(v, res, VMXERR_VMCLEAR_INVALID_ADDRESS);
    return;
  }
  if (gpa == v->vmxon_pointer) {
    vmfail(v, res, VMXERR_VMCLEAR_VMXON_POINTER);
    return;
  }
  vmcs12_clear(v, gpa);
  core_event(v, CORE_EV_VMCS12_CLEAR, gpa, 0, 0);
  vmsucceed(v, res);
}

static CORE_NOINLINE void handle_vmptrld(struct core_vcpu *v, uint64_t gpa,
                                         struct core_vmx_result *res) {
  if (vmx_mode_get(v) != CORE_VMX_ROOT) {
    raise_ud(res);
    return;
  }
  uint32_t rev;
  if (!vmx_pointer_ok(gpa) || !read_revision(v, gpa, &rev)) {
    vmfail(v, res, VMXERR_VMPTRLD_INVALID_ADDRESS);
    return;
  }
  if (gpa == v->vmxon_pointer) {
    vmfail(v, res, VMXERR_VMPTRLD_VMXON_POINTER);
    return;
  }
  if (rev != CORE_VMCS_REVISION) {
    vmfail(v, res, VMXERR_VMPTRLD_BAD_REVISION);
    return;
  }
  struct core_vmcs12 *s = vmcs12_load(v, gpa);
  vmcs12_set_current(v, (uint32_t)(s - v->vmcs12));
  core_event(v, CORE_EV_VMCS12_LOAD, gpa, 0, 0);
  vmsucceed(v, res);
}

static CORE_NOINLINE void handle_vmptrst(struct core_vcpu *v,
                                         struct core_vmx_result *res) {
  if (vmx_mode_get(v) != CORE_VMX_ROOT) {
    raise_ud(res);
    return;
  }
  uint32_t cur = vmcs12_current_slot(v);
  res->value = cur < CORE_VMCS12_SLOTS ? v->vmcs12[cur].gpa
                                       : CORE_NO_VMCS_POINTER;
  vmsucceed(v, res);
}

static CORE_NOINLINE void handle_vmread(struct core_vcpu *v, uint64_t encoding,
                                        struct core_vmx_result *res) {
  if (vmx_mode_get(v) != CORE_VMX_ROOT) {
    raise_ud(res);
    return;
  }
  uint32_t cur = vmcs12_current_slot(v);
  if (cur >= CORE_VMCS12_SLOTS) {
    vmfail_invalid(v, res);
    return;
  }
  if ((encoding >> 32) || vmcs_field_index((uint32_t)encoding, NULL) < 0) {
    vmfail_valid(v, res, VMXERR_UNSUPPORTED_COMPONENT);
    return;
  }
  res->value = vmcs_get(v->vmcs12[cur].value, (uint32_t)encoding);
  vmsucceed(v, res);
}

static CORE_NOINLINE void handle_vmwrite(struct core_vcpu *v, uint64_t encoding,
                                         uint64_t value,
                                         struct core_vmx_result *res) {
  if (vmx_mode_get(v) != CORE_VMX_ROOT) {
    raise_ud(res);
    return;
  }
  uint32_t cur = vmcs12_current_slot(v);
  if (cur >= CORE_VMCS12_SLOTS) {
    vmfail_invalid(v, res);
    return;
  }
  int i = (encoding >> 32) ? -1 : vmcs_field_index((uint32_t)encoding, NULL);
  if (i < 0) {
    vmfail_valid(v, res, VMXERR_UNSUPPORTED_COMPONENT);
    return;
  }
  if (vmcs_fields[i].kind == VMCS_READ_ONLY) {
    vmfail_valid(v, res, VMXERR_VMWRITE_READ_ONLY);
    return;
  }
  vmcs_set(v->vmcs12[cur].value, (uint32_t)encoding, value);
  vmsucceed(v, res);
}

static CORE_NOINLINE void handle_invept(struct core_vcpu *v, uint64_t type,
                                        uint64_t eptp,
                                        struct core_vmx_result *res) {
  if (vmx_mode_get(v) != CORE_VMX_ROOT) {
    raise_ud(res);
    return;
  }
  if (type == 1 && vmx_eptp_valid(eptp)) { /* single-context */
    ept02_invalidate_eptp12(v, eptp);
  } else if (type == 2) { /* all-context */
    ept02_flush_all(v);
  } else {
    vmfail(v, res, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
    return;
  }
  core_event(v, CORE_EV_EPT_FLUSH, CORE_FLUSH_EPT02, CORE_ORIGIN_L1_INVEPT, 0);
  vmsucceed(v, res);
}

void core_vmx_insn(struct core_vcpu *v, enum core_vmx_insn_kind insn,
                   uint64_t op, uint64_t op2, struct core_vmx_result *res) {
  /* L1 executes instructions only while L2 does not run. */
  CORE_ASSERT(v, core_vmx_mode_peek(v) != CORE_VMX_NON_ROOT);
  res->value = 0;
  gnmi_intercept_enter(v);
  switch (insn) {
    case CORE_VMXON: handle_vmxon(v, op, res); break;
    case CORE_VMXOFF: handle_vmxoff(v, res); break;
    case CORE_VMCLEAR: handle_vmclear(v, op, res); break;
    case CORE_VMPTRLD: handle_vmptrld(v, op, res); break;
    case CORE_VMPTRST: handle_vmptrst(v, res); break;
    case CORE_VMREAD: handle_vmread(v, op, res); break;
    case CORE_VMWRITE: handle_vmwrite(v, op, op2, res); break;
    case CORE_VMLAUNCH: vmx_enter(v, true, res); break;
    case CORE_VMRESUME: vmx_enter(v, false, res); break;
    case CORE_INVEPT: handle_invept(v, op, op2, res); break;
    default: raise_ud(res); break;
  }
  core_event(v, CORE_EV_VMX_INSN, insn, res->outcome, res->error);
  gnmi_intercept_leave(v, res->outcome != CORE_VMX_ENTERED_L2);
}

/* VM entry failures need the same conventions. */
void vmx_insn_fail(struct core_vcpu *v, struct core_vmx_result *res,
                   uint32_t error) {
  if (error)
    vmfail(v, res, error);
  else
    vmfail_invalid(v, res);
}
void vmx_insn_ud(struct core_vmx_result *res) { raise_ud(res); }
