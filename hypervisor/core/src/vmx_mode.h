/*
 * The CPU's VMX mode as the variant keeps it (vmx_mode.c).
 */
#ifndef NESTRR_CORE_VMX_MODE_H
#define NESTRR_CORE_VMX_MODE_H

#include "services.h"

enum core_vmx_mode vmx_mode_get(struct core_vcpu *v);
void vmx_mode_set(struct core_vcpu *v, enum core_vmx_mode m);
bool cpu_in_l2(struct core_vcpu *v); /* "L2 running" as the mode says */

#endif
