/*
 * VMCS12 -> VMCS02 on VM entry and VMCS02 -> VMCS12 on VM exit, driven by
 * the field table and split by field group. Guest-physical-address fields
 * are translated through EPT01; the EPT pointer becomes EPT02's; host state
 * of VMCS02 is L0's own. The EPT01 re-walk after a flush re-translates the
 * guest-physical-address fields only.
 */
#include "ept.h"
#include "ept02_cache.h"
#include "services.h"
#include "vmcs02_build.h"
#include "vmcs12.h"

/* Where L0 wants L2 exits to land (simulated). */
#define L0_HOST_RIP 0xffffffff81000000ull
#define L0_HOST_CR3 0x0000000000001000ull
#define L0_HOST_RSP_BASE 0xffffffff82000000ull

bool vmcs_gpa_field_enabled(const uint64_t *values, uint32_t index) {
  const struct vmcs_field *f = &vmcs_fields[index];
  if (f->enable_field == VMCS_ENABLE_ALWAYS) return true;
  uint64_t ctl = vmcs_get(values, f->enable_field);
  if (f->enable_bit == VMCS_ENABLE_NONZERO) return ctl != 0;
  if (!((ctl >> f->enable_bit) & 1)) return false;
  uint64_t proc = vmcs_get(values, VMCS_PROC_CONTROLS);
  if (f->enable_field == VMCS_PROC2_CONTROLS)
    return (proc & VMX_PROC_ACTIVATE_SECONDARY) != 0;
  if (f->enable_field == VMCS_TERTIARY_PROC_CONTROLS)
    return (proc & VMX_PROC_ACTIVATE_TERTIARY) != 0;
  return true;
}

static bool l1_uses_ept(const uint64_t *values) {
  int i = vmcs_field_index(VMCS_EPT_POINTER, NULL);
  return vmcs_gpa_field_enabled(values, (uint32_t)i);
}

/* ---- checks (VMfailValid 7 when they fail) ---- */

bool vmx_eptp_valid(uint64_t eptp) {
  uint64_t type = eptp & 7;
  if (type != 0 && type != EPTP_MEMTYPE_WB) return false;
  if (((eptp >> 3) & 7) != 3) return false;     /* 4-level walk */
  if (eptp & 0xf80ull) return false;              /* bits 11:7 reserved */
  return (eptp >> CORE_PA_BITS) == 0;
}

static uint32_t check_controls(struct core_vcpu *v,
                               const struct core_vmcs12 *vmcs12) {
  (void)v;
  const uint64_t *val = vmcs12->value;
  for (uint32_t i = 0; i < vmcs_field_count; i++) {
    if (!(vmcs_fields[i].props & VMCS_PROP_GPA)) continue;
    if (!vmcs_gpa_field_enabled(val, i)) continue;
    if (val[i] >> CORE_PA_BITS) return VMXERR_ENTRY_INVALID_CONTROL;
  }
  if (vmcs_get(val, VMCS_PROC_CONTROLS) & VMX_PROC_USE_IO_BITMAPS) {
    if ((vmcs_get(val, VMCS_IO_BITMAP_A) | vmcs_get(val, VMCS_IO_BITMAP_B)) &
        (CORE_PAGE_SIZE - 1))
      return VMXERR_ENTRY_INVALID_CONTROL;
  }
  if ((vmcs_get(val, VMCS_PROC_CONTROLS) & VMX_PROC_USE_MSR_BITMAPS) &&
      (vmcs_get(val, VMCS_MSR_BITMAP) & (CORE_PAGE_SIZE - 1)))
    return VMXERR_ENTRY_INVALID_CONTROL;
  if (l1_uses_ept(val) && !vmx_eptp_valid(vmcs_get(val, VMCS_EPT_POINTER)))
    return VMXERR_ENTRY_INVALID_CONTROL;
  return 0;
}

/* ---- VMCS12 -> VMCS02 groups ---- */

static void copy_guest_state(struct core_vcpu *v,
                             const struct core_vmcs12 *vmcs12) {
  for (uint32_t i = 0; i < vmcs_field_count; i++)
    if (vmcs_fields[i].kind == VMCS_GUEST) v->vmcs02[i] = vmcs12->value[i];
}

static void copy_plain_controls(struct core_vcpu *v,
                                const struct core_vmcs12 *vmcs12) {
  for (uint32_t i = 0; i < vmcs_field_count; i++)
    if (vmcs_fields[i].kind == VMCS_CONTROL && vmcs_fields[i].props == 0)
      v->vmcs02[i] = vmcs12->value[i];
}

/* Translate one gpa field; returns false if EPT01 does not map it. */
static bool translate_gpa_field(struct core_vcpu *v,
                                const struct core_vmcs12 *vmcs12, uint32_t i,
                                uint64_t *out) {
  if (!vmcs_gpa_field_enabled(vmcs12->value, i)) {
    *out = 0; /* ignored by the processor: keep L1 addresses out of VMCS02 */
    return true;
  }
  uint64_t hpa;
  if (!ept01_translate(v, vmcs12->value[i], &hpa, NULL)) {
    *out = CORE_BAD_HPA;
    return false;
  }
  *out = hpa;
  return true;
}

/* Adds field i to the translation record if L1 uses it. */
static void note_gpa_field(const struct core_vmcs12 *vmcs12, uint32_t i, uint64_t hpa,
                           struct core_gpa_field *out, uint32_t *n) {
  if (!vmcs_gpa_field_enabled(vmcs12->value, i) || *n >= CORE_GPA_FIELDS_MAX) return;
  out[*n].encoding = vmcs_fields[i].encoding;
  out[*n].gpa = vmcs12->value[i];
  out[*n].hpa = hpa == CORE_BAD_HPA ? 0 : hpa;
  (*n)++;
}

static uint32_t translate_gpa_controls(struct core_vcpu *v,
                                       const struct core_vmcs12 *vmcs12) {
  struct core_gpa_field done[CORE_GPA_FIELDS_MAX];
  uint32_t n = 0;
  for (uint32_t i = 0; i < vmcs_field_count; i++) {
    if (!(vmcs_fields[i].props & VMCS_PROP_GPA)) continue;
    if (!translate_gpa_field(v, vmcs12, i, &v->vmcs02[i]))
      return VMXERR_ENTRY_INVALID_CONTROL;
    note_gpa_field(vmcs12, i, v->vmcs02[i], done, &n);
  }
  core_event_translation(v, done, n);
  return 0;
}

static void set_ept_pointer(struct core_vcpu *v,
                            const struct core_vmcs12 *vmcs12) {
  uint64_t root;
  if (l1_uses_ept(vmcs12->value)) {
    uint32_t idx = ept02_get(v, vmcs_get(vmcs12->value, VMCS_EPT_POINTER));
    v->ept02_active = idx;
    root = v->ept02[idx].root_hpa;
  } else {
    v->ept02_active = CORE_VMCS12_NONE; /* L2 runs on L1's map */
    root = v->core->ept01_root;
  }
  vmcs_set(v->vmcs02, VMCS_EPT_POINTER, root | EPTP_WALK_4 | EPTP_MEMTYPE_WB);
}

/* Controls L0 needs whatever L1 asked for. */
static void force_l0_controls(struct core_vcpu *v) {
  vmcs_set(v->vmcs02, VMCS_PROC_CONTROLS,
           vmcs_get(v->vmcs02, VMCS_PROC_CONTROLS) |
               VMX_PROC_ACTIVATE_SECONDARY);
  vmcs_set(v->vmcs02, VMCS_PROC2_CONTROLS,
           vmcs_get(v->vmcs02, VMCS_PROC2_CONTROLS) | VMX_PROC2_ENABLE_EPT);
}

static void set_l0_host_state(struct core_vcpu *v) {
  for (uint32_t i = 0; i < vmcs_field_count; i++)
    if (vmcs_fields[i].kind == VMCS_HOST) v->vmcs02[i] = 0;
  vmcs_set(v->vmcs02, VMCS_HOST_RIP, L0_HOST_RIP);
  vmcs_set(v->vmcs02, VMCS_HOST_CR3, L0_HOST_CR3);
  vmcs_set(v->vmcs02, VMCS_HOST_RSP, L0_HOST_RSP_BASE + 0x10000ull * v->id);
}

uint32_t vmcs02_build(struct core_vcpu *v, const struct core_vmcs12 *vmcs12) {
  uint32_t err = check_controls(v, vmcs12);
  if (err) return err;
  copy_guest_state(v, vmcs12);
  copy_plain_controls(v, vmcs12);
  err = translate_gpa_controls(v, vmcs12);
  if (err) return err;
  set_ept_pointer(v, vmcs12);
  force_l0_controls(v);
  set_l0_host_state(v);
  return 0;
}

/* ---- VMCS02 -> VMCS12 groups ---- */

static void copy_guest_state_back(struct core_vcpu *v,
                                  struct core_vmcs12 *vmcs12) {
  for (uint32_t i = 0; i < vmcs_field_count; i++)
    if (vmcs_fields[i].kind == VMCS_GUEST) vmcs12->value[i] = v->vmcs02[i];
}

static void copy_exit_information(struct core_vcpu *v,
                                  struct core_vmcs12 *vmcs12) {
  uint32_t err = (uint32_t)vmcs_field_index(VMCS_VM_INSTRUCTION_ERROR, NULL);
  for (uint32_t i = 0; i < vmcs_field_count; i++)
    if (vmcs_fields[i].kind == VMCS_READ_ONLY && i != err)
      vmcs12->value[i] = v->vmcs02[i];
}

void vmcs02_to_vmcs12(struct core_vcpu *v, struct core_vmcs12 *vmcs12) {
  copy_guest_state_back(v, vmcs12);
  copy_exit_information(v, vmcs12);
}

/* ---- after an EPT01 change ---- */

uint32_t vmcs02_rewalk_ept01(struct core_vcpu *v,
                             const struct core_vmcs12 *vmcs12) {
  uint32_t fields = 0, changed = 0;
  struct core_gpa_field done[CORE_GPA_FIELDS_MAX];
  uint32_t n = 0;
  core_point(v, CORE_POINT_VMCS02_REWALK);
  for (uint32_t i = 0; i < vmcs_field_count; i++) {
    if (!(vmcs_fields[i].props & VMCS_PROP_GPA)) continue;
    uint64_t hpa;
    translate_gpa_field(v, vmcs12, i, &hpa); /* unmapped -> CORE_BAD_HPA */
    fields++;
    if (hpa != v->vmcs02[i]) changed++;
    v->vmcs02[i] = hpa;
    note_gpa_field(vmcs12, i, hpa, done, &n);
  }
  v->rewalks++;
  core_event(v, CORE_EV_EPT01_REWALK, fields, changed, 0);
  core_event_translation(v, done, n);
  return changed;
}
