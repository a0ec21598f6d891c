/*
 * L1's VMX operation mode, kept the way each variant says: two flags
 * (is_vmx_operation, is_vmx_root_operation) in the historical variants, one
 * tri-state value in `fixed`. The NMI handler reads the mode, so every read
 * and write is a yield point.
 */
#include "services.h"
#include "variant.h"
#include "vmx_mode.h"

enum core_vmx_mode vmx_mode_get(struct core_vcpu *v) {
  if (!core_two_flags(v)) {
    core_point(v, CORE_POINT_MODE_READ);
    return (enum core_vmx_mode)v->vmx_mode;
  }
  core_point(v, CORE_POINT_MODE_READ_OPERATION);
  uint32_t op = v->is_vmx_operation;
  core_point(v, CORE_POINT_MODE_READ_ROOT);
  uint32_t root = v->is_vmx_root_operation;
  if (!op) return CORE_VMX_DISABLED;
  return root ? CORE_VMX_ROOT : CORE_VMX_NON_ROOT;
}

/* Mode changes other than VMXON's (which keeps the seed's store order in
 * handle_vmxon). Each store is ordered so that no intermediate state reads
 * as a mode the CPU is not in, except where the variant says otherwise. */
void vmx_mode_set(struct core_vcpu *v, enum core_vmx_mode m) {
  enum core_vmx_mode old = core_vmx_mode_peek(v);
  if (!core_two_flags(v)) {
    core_point(v, CORE_POINT_MODE_WRITE);
    v->vmx_mode = (uint32_t)m;
  } else {
    switch (m) {
      case CORE_VMX_DISABLED:
        core_point(v, CORE_POINT_MODE_WRITE);
        v->is_vmx_operation = 0;
        core_point(v, CORE_POINT_MODE_WRITE);
        v->is_vmx_root_operation = 0;
        break;
      case CORE_VMX_ROOT:
        core_point(v, CORE_POINT_MODE_WRITE);
        v->is_vmx_root_operation = 1;
        core_point(v, CORE_POINT_MODE_WRITE);
        v->is_vmx_operation = 1;
        break;
      case CORE_VMX_NON_ROOT:
        core_point(v, CORE_POINT_MODE_WRITE);
        v->is_vmx_root_operation = 0;
        break;
    }
  }
  core_event(v, CORE_EV_VMX_MODE_CHANGE, (uint64_t)old, (uint64_t)m, 0);
}

bool cpu_in_l2(struct core_vcpu *v) {
  return vmx_mode_get(v) == CORE_VMX_NON_ROOT;
}
