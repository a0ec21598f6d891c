/*
 * The per-CPU cache of EPT02 tables composed from EPT12 and EPT01
 * (ept02_cache.c).
 */
#ifndef NESTRR_CORE_EPT02_CACHE_H
#define NESTRR_CORE_EPT02_CACHE_H

#include "services.h"

uint32_t ept02_get(struct core_vcpu *v, uint64_t eptp12); /* index */
void ept02_flush_all(struct core_vcpu *v);
void ept02_invalidate_eptp12(struct core_vcpu *v, uint64_t eptp12);
void ept02_block_flush(struct core_vcpu *v);
void ept02_unblock_flush(struct core_vcpu *v);
/* 0 ok, 1 EPT12 misses, 2 EPT01 misses; l1_gpa gets the EPT12 result. */
int ept02_fill(struct core_vcpu *v, uint64_t l2_gpa, uint64_t *hpa);
bool ept02_lookup(struct core_vcpu *v, uint64_t l2_gpa, uint64_t *hpa);

#endif
