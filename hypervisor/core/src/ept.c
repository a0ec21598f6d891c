/*
 * EPT paging structures in the SDM format (4 levels, R/W/X bits, PFN in
 * bits 51:12, large pages at levels 2 and 3): a generic walker over any
 * table reader, EPT01 (L1's memory map, in machine memory, shared by all
 * CPUs) and its identity setup, and 4 KiB mapping into machine-memory
 * tables.
 */
#include "ept.h"
#include "services.h"

static uint32_t ept_index(uint64_t gpa, int level) {
  return (uint32_t)((gpa >> (12 + 9 * (level - 1))) & 511u);
}

bool ept_walk(ept_table_fn table, void *arg, uint64_t root_pa, uint64_t gpa,
              struct ept_walk *out) {
  uint64_t table_pa = root_pa & EPT_ADDR_MASK;
  uint64_t rwx = EPT_RWX;
  for (int level = 4; level >= 1; level--) {
    const uint64_t *t = table(arg, table_pa);
    if (!t) return false;
    uint64_t e = t[ept_index(gpa, level)];
    if (!(e & EPT_RWX)) return false; /* not present */
    rwx &= e & EPT_RWX;
    bool leaf = level == 1 || ((level == 2 || level == 3) && (e & EPT_LARGE));
    if (leaf) {
      uint64_t span = 1ull << (12 + 9 * (level - 1));
      out->pa = (e & EPT_ADDR_MASK & ~(span - 1)) | (gpa & (span - 1));
      out->rwx = rwx;
      out->level = level;
      return true;
    }
    table_pa = e & EPT_ADDR_MASK;
  }
  return false;
}

static const uint64_t *machine_table(void *arg, uint64_t pa) {
  struct core_vcpu *v = (struct core_vcpu *)arg;
  return (const uint64_t *)core_plat(v)->phys(core_plat(v)->ctx, pa,
                                              CORE_PAGE_SIZE);
}

bool ept01_translate(struct core_vcpu *v, uint64_t gpa, uint64_t *hpa,
                     uint64_t *rwx) {
  struct ept_walk w;
  core_point(v, CORE_POINT_EPT01_WALK);
  if (!ept_walk(machine_table, v, v->core->ept01_root, gpa, &w)) return false;
  *hpa = w.pa;
  if (rwx) *rwx = w.rwx;
  return true;
}

bool core_ept01_translate(struct core_vcpu *v, uint64_t gpa, uint64_t *hpa) {
  return ept01_translate(v, gpa, hpa, NULL);
}

bool ept_map_4k(struct core_vcpu *v, uint64_t root_hpa, uint64_t gpa,
                uint64_t hpa, uint64_t rwx, uint64_t pool_hpa,
                uint32_t pool_pages, uint32_t *pool_used) {
  uint64_t table_pa = root_hpa;
  for (int level = 4; level > 1; level--) {
    uint64_t *t = (uint64_t *)core_phys(v, table_pa, CORE_PAGE_SIZE);
    uint64_t *e = &t[ept_index(gpa, level)];
    if (!(*e & EPT_RWX)) {
      if (!rwx) return true; /* unmapping something never mapped */
      if (*pool_used >= pool_pages) return false;
      uint64_t page = pool_hpa + (uint64_t)(*pool_used)++ * CORE_PAGE_SIZE;
      core_zero(core_phys(v, page, CORE_PAGE_SIZE), CORE_PAGE_SIZE);
      *e = page | EPT_RWX;
    }
    CORE_ASSERT(v, !(*e & EPT_LARGE)); /* our own tables use 4 KiB leaves */
    table_pa = *e & EPT_ADDR_MASK;
  }
  uint64_t *t = (uint64_t *)core_phys(v, table_pa, CORE_PAGE_SIZE);
  t[ept_index(gpa, 1)] =
      rwx ? ((hpa & EPT_ADDR_MASK) | (EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT) |
             (rwx & EPT_RWX))
          : 0;
  return true;
}

bool core_ept01_map(struct core_vcpu *v, uint64_t gpa, uint64_t hpa,
                    uint64_t rwx) {
  struct core *c = v->core;
  core_point(v, CORE_POINT_EPT01_WRITE);
  if (!ept_map_4k(v, c->ept01_root, gpa, hpa, rwx, c->ept01_pool,
                  CORE_EPT01_PAGES, &c->ept01_pool_used))
    return false;
  core_event(v, CORE_EV_EPT01_CHANGE, gpa, rwx ? hpa : 0, rwx);
  return true;
}

bool ept01_build_identity(struct core *c, struct core_vcpu *boot) {
  c->ept01_pool_used = 1; /* page 0 of the pool is the PML4 */
  c->ept01_root = c->ept01_pool;
  for (uint64_t gpa = 0; gpa < c->cfg.l1_mem_size; gpa += CORE_PAGE_SIZE) {
    if (!ept_map_4k(boot, c->ept01_root, gpa, gpa, EPT_RWX, c->ept01_pool,
                    CORE_EPT01_PAGES, &c->ept01_pool_used))
      return false;
  }
  return true;
}
