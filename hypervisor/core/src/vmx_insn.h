/*
 * Helpers shared by the VMX instruction handlers (vmx_insn.c) and VM
 * entry (vmx_entry.c).
 */
#ifndef NESTRR_CORE_VMX_INSN_H
#define NESTRR_CORE_VMX_INSN_H

#include "services.h"

/* error 0 = VMfailInvalid, else VMfail(error). */
void vmx_insn_fail(struct core_vcpu *v, struct core_vmx_result *res,
                   uint32_t error);
void vmx_insn_ud(struct core_vmx_result *res);
void vmx_enter(struct core_vcpu *v, bool launch, struct core_vmx_result *res);

#endif
