/*
 * The NMI-side flush, names as in the seed's stack (flush.c).
 */
#ifndef NESTRR_CORE_FLUSH_H
#define NESTRR_CORE_FLUSH_H

#include "services.h"

void flush_localtlb(struct core_vcpu *v, uint32_t origin) CORE_NOINLINE;
void flush_ept02(struct core_vcpu *v, uint32_t origin) CORE_NOINLINE;
void flush_ept02_effect(struct core_vcpu *v, uint32_t origin) CORE_NOINLINE;

#endif
