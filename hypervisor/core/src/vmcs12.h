/*
 * The VMCS12 cache and field storage (vmcs12.c).
 */
#ifndef NESTRR_CORE_VMCS12_H
#define NESTRR_CORE_VMCS12_H

#include "services.h"

bool cpu_has_current_vmcs12(struct core_vcpu *v);
struct core_vmcs12 *find_current_vmcs12(struct core_vcpu *v) CORE_NOINLINE;
struct core_vmcs12 *vmcs12_find(struct core_vcpu *v, uint64_t gpa);
struct core_vmcs12 *vmcs12_load(struct core_vcpu *v, uint64_t gpa);
void vmcs12_clear(struct core_vcpu *v, uint64_t gpa);
void vmcs12_set_current(struct core_vcpu *v, uint32_t slot);
uint32_t vmcs12_current_slot(struct core_vcpu *v);
uint64_t vmcs_get(const uint64_t *values, uint32_t encoding);
void vmcs_set(uint64_t *values, uint32_t encoding, uint64_t value);

#endif
