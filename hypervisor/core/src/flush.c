/*
 * The EPT flush a CPU performs after EPT01 changed, along the seed's call
 * stack: flush_localtlb -> flush_ept02 -> flush_ept02_effect ->
 * find_current_vmcs12 (when "L2 running"). What the effect covers is the
 * variant's: EPT02 only (ept01-flush-incomplete) or EPT02 plus a re-walk of
 * the VMCS02 guest-physical-address fields.
 */
#include "ept02_cache.h"
#include "flush.h"
#include "services.h"
#include "variant.h"
#include "vmcs02_build.h"
#include "vmcs12.h"
#include "vmx_mode.h"

void flush_localtlb(struct core_vcpu *v, uint32_t origin) {
  /* The simulated INVEPT of this CPU's TLB has no further effect. */
  core_event(v, CORE_EV_EPT_FLUSH, CORE_FLUSH_LOCAL_TLB, origin, 0);
  flush_ept02(v, origin);
}

void flush_ept02(struct core_vcpu *v, uint32_t origin) {
  core_point(v, CORE_POINT_EPT02_FLUSH);
  if (v->ept02_flush_block) {
    v->ept02_pending_origin = origin;
    v->ept02_flush_pending = 1;
    return;
  }
  ept02_flush_all(v);
  flush_ept02_effect(v, origin);
}

void flush_ept02_effect(struct core_vcpu *v, uint32_t origin) {
  uint32_t flags = CORE_FLUSH_EPT02;
  if (core_flush_rewalks(v) && cpu_in_l2(v)) {
    struct core_vmcs12 *vmcs12 = find_current_vmcs12(v);
    vmcs02_rewalk_ept01(v, vmcs12);
    flags |= CORE_FLUSH_VMCS02_GPA;
  }
  core_event(v, CORE_EV_EPT_FLUSH, flags, origin, 0);
}
