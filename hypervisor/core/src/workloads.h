/*
 * One step of each workload (workload_*.c); core.c dispatches them.
 */
#ifndef NESTRR_CORE_WORKLOADS_H
#define NESTRR_CORE_WORKLOADS_H

#include "services.h"

bool workload_l1_step(struct core_vcpu *v);
bool workload_pal_step(struct core_vcpu *v);
bool workload_remap_step(struct core_vcpu *v);
bool workload_nmi_step(struct core_vcpu *v);

#endif
