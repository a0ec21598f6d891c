/*
 * The core's entry points that are neither VMX instructions nor NMIs:
 * one workload step dispatched to its workload, L1 memory accessors, and
 * inspection of a CPU's VMX state.
 */
#include "services.h"
#include "variant.h"
#include "vmcs12.h"
#include "workloads.h"

/* ---- L1 memory ---- */

bool core_l1_write64(struct core_vcpu *v, uint64_t gpa, uint64_t value) {
  uint64_t hpa;
  if ((gpa & 7) || !core_ept01_translate(v, gpa, &hpa)) return false;
  *(volatile uint64_t *)core_phys(v, hpa, 8) = value;
  return true;
}

bool core_l1_read64(struct core_vcpu *v, uint64_t gpa, uint64_t *value) {
  uint64_t hpa;
  if ((gpa & 7) || !core_ept01_translate(v, gpa, &hpa)) return false;
  *value = *(volatile uint64_t *)core_phys(v, hpa, 8);
  return true;
}

bool core_l1_zero_page(struct core_vcpu *v, uint64_t gpa) {
  uint64_t hpa;
  if ((gpa & (CORE_PAGE_SIZE - 1)) || !core_ept01_translate(v, gpa, &hpa))
    return false;
  core_zero(core_phys(v, hpa, CORE_PAGE_SIZE), CORE_PAGE_SIZE);
  return true;
}

/* ---- inspection ---- */

enum core_vmx_mode core_vmx_mode_peek(const struct core_vcpu *v) {
  if (!core_variant_two_flags(v->core->cfg.variant))
    return (enum core_vmx_mode)v->vmx_mode;
  if (!v->is_vmx_operation) return CORE_VMX_DISABLED;
  return v->is_vmx_root_operation ? CORE_VMX_ROOT : CORE_VMX_NON_ROOT;
}

uint64_t core_vmcs02_read(const struct core_vcpu *v, uint32_t encoding) {
  return vmcs_get(v->vmcs02, encoding);
}

uint64_t core_vmcs12_peek(const struct core_vcpu *v, uint32_t encoding) {
  uint32_t cur = v->cur_vmcs12;
  if (cur >= CORE_VMCS12_SLOTS) return 0;
  return vmcs_get(v->vmcs12[cur].value, encoding);
}

/* ---- workloads ---- */

bool core_workload_step(struct core *c, uint32_t cpu) {
  struct core_vcpu *v = &c->vcpu[cpu];
  if (v->wl_done) return false;
  bool more = false;
  switch (c->cfg.workload[cpu].kind) {
    case CORE_WORKLOAD_L1: more = workload_l1_step(v); break;
    case CORE_WORKLOAD_PAL: more = workload_pal_step(v); break;
    case CORE_WORKLOAD_REMAP: more = workload_remap_step(v); break;
    case CORE_WORKLOAD_NMI: more = workload_nmi_step(v); break;
    default: break;
  }
  if (!more) v->wl_done = 1;
  return more;
}
