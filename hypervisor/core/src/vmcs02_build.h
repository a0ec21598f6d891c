/*
 * VMCS12 -> VMCS02 and back, and the EPT01 re-walk (vmcs02_build.c).
 */
#ifndef NESTRR_CORE_VMCS02_BUILD_H
#define NESTRR_CORE_VMCS02_BUILD_H

#include "services.h"

/* 0 on success, else a VM-instruction error number. */
uint32_t vmcs02_build(struct core_vcpu *v, const struct core_vmcs12 *vmcs12);
void vmcs02_to_vmcs12(struct core_vcpu *v, struct core_vmcs12 *vmcs12);
uint32_t vmcs02_rewalk_ept01(struct core_vcpu *v, const struct core_vmcs12 *vmcs12);
bool vmcs_gpa_field_enabled(const uint64_t *values, uint32_t index);
/* EPT pointer checks of VM entry and INVEPT (type, walk length, reserved). */
bool vmx_eptp_valid(uint64_t eptp);

#endif
