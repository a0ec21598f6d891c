/*
 * What each run-time variant changes, as predicates on a CPU (the names
 * and parsing are variant.c's).
 */
#ifndef NESTRR_CORE_VARIANT_H
#define NESTRR_CORE_VARIANT_H

#include "services.h"

static inline enum core_variant core_variant_of(const struct core_vcpu *v) {
  return (enum core_variant)v->core->cfg.variant;
}
/* Does this variant keep the mode in two flags? */
static inline bool core_variant_two_flags(uint32_t variant) {
  return variant == CORE_VARIANT_EPT01_FLUSH_INCOMPLETE ||
         variant == CORE_VARIANT_VMXON_TWO_FLAGS;
}
static inline bool core_two_flags(const struct core_vcpu *v) {
  return core_variant_two_flags(v->core->cfg.variant);
}
/* Does the flush re-walk the VMCS02 gpa fields? */
static inline bool core_flush_rewalks(const struct core_vcpu *v) {
  return core_variant_of(v) != CORE_VARIANT_EPT01_FLUSH_INCOMPLETE;
}

/* Does L0 inject guest NMIs only when the guest does not block them
 * (virtual NMIs, NMI-window exiting)? */
static inline bool core_gnmi_checks_blocking(const struct core_vcpu *v) {
  return core_variant_of(v) != CORE_VARIANT_NMI_INJECT_UNCHECKED;
}
/* Do intercept handlers simulate NMI blocking while they hold their copy
 * of VMCS01? */
static inline bool core_gnmi_simulates_blocking(const struct core_vcpu *v) {
  return core_variant_of(v) != CORE_VARIANT_NMI_VMCS_OVERWRITE;
}

#endif
