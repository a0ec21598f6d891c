/*
 * EPT page walks and EPT01, the machine-memory tables (ept.c).
 */
#ifndef NESTRR_CORE_EPT_H
#define NESTRR_CORE_EPT_H

#include "services.h"

typedef const uint64_t *(*ept_table_fn)(void *arg, uint64_t table_pa);
struct ept_walk {
  uint64_t pa;      /* translated address */
  uint64_t rwx;     /* effective permissions (AND of all levels) */
  int level;        /* level of the leaf: 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB */
};
bool ept_walk(ept_table_fn table, void *arg, uint64_t root_pa, uint64_t gpa,
              struct ept_walk *out);
/* EPT01 (machine memory tables). */
bool ept01_translate(struct core_vcpu *v, uint64_t gpa, uint64_t *hpa,
                     uint64_t *rwx);
bool ept01_build_identity(struct core *c, struct core_vcpu *boot);
/* Tables in machine memory: create missing levels from a pool. */
bool ept_map_4k(struct core_vcpu *v, uint64_t root_hpa, uint64_t gpa,
                uint64_t hpa, uint64_t rwx, uint64_t pool_hpa,
                uint32_t pool_pages, uint32_t *pool_used);

#endif
