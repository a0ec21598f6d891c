/*
 * EPT02: the tables the hardware uses while L2 runs, EPT12 (L1's tables for
 * L2, read from L1 memory) composed with EPT01. Per CPU, a small LRU cache of
 * instances keyed by L1's EPT pointer; each instance fills lazily, one 4 KiB
 * page per L2 access, from its own pool of pages. A flush empties instances
 * in place (their root address, which VMCS02 holds, stays valid).
 *
 * The NMI handler flushes EPT02. Code that fills EPT02 or builds VMCS02
 * blocks flushes; a flush that arrives meanwhile is deferred to the unblock.
 */
#include "ept.h"
#include "ept02_cache.h"
#include "flush.h"
#include "services.h"

static void ept02_empty(struct core_vcpu *v, struct core_ept02 *e) {
  core_zero(core_phys(v, e->root_hpa, CORE_PAGE_SIZE), CORE_PAGE_SIZE);
  e->pool_used = 1; /* the root */
}

uint32_t ept02_get(struct core_vcpu *v, uint64_t eptp12) {
  uint32_t victim = 0;
  for (uint32_t i = 0; i < CORE_EPT02_CACHE; i++) {
    struct core_ept02 *e = &v->ept02[i];
    if (e->valid && e->eptp12 == eptp12) {
      e->lru = ++v->ept02_lru_clock;
      return i;
    }
    if (!e->valid || (v->ept02[victim].valid && e->lru < v->ept02[victim].lru))
      victim = i;
  }
  struct core_ept02 *e = &v->ept02[victim];
  ept02_empty(v, e);
  e->eptp12 = eptp12;
  e->valid = 1;
  e->fills = 0;
  e->lru = ++v->ept02_lru_clock;
  return victim;
}

void ept02_flush_all(struct core_vcpu *v) {
  for (uint32_t i = 0; i < CORE_EPT02_CACHE; i++)
    if (v->ept02[i].valid) ept02_empty(v, &v->ept02[i]);
}

void ept02_invalidate_eptp12(struct core_vcpu *v, uint64_t eptp12) {
  for (uint32_t i = 0; i < CORE_EPT02_CACHE; i++)
    if (v->ept02[i].valid &&
        (v->ept02[i].eptp12 & EPT_ADDR_MASK) == (eptp12 & EPT_ADDR_MASK))
      ept02_empty(v, &v->ept02[i]);
}

void ept02_block_flush(struct core_vcpu *v) {
  core_point(v, CORE_POINT_EPT02_BLOCK);
  v->ept02_flush_block++;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void ept02_unblock_flush(struct core_vcpu *v) {
  core_point(v, CORE_POINT_EPT02_UNBLOCK);
  CORE_ASSERT(v, v->ept02_flush_block > 0);
  v->ept02_flush_block--;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  while (v->ept02_flush_block == 0 && v->ept02_flush_pending) {
    /* The deferred flush runs outside the NMI handler, so an NMI can land
     * in the middle of it (its EPT01 walk has yield points). It runs with
     * flushes blocked: a quiesce flush arriving meanwhile is deferred behind
     * it, instead of re-walking first and then being overwritten by this
     * flush's translations, read before that quiesce changed EPT01. */
    v->ept02_flush_pending = 0;
    uint32_t origin = v->ept02_pending_origin;
    v->ept02_flush_block++;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ept02_flush_all(v);
    flush_ept02_effect(v, origin);
    v->ept02_flush_block--;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
  }
}

/* EPT12 tables live in L1 memory: reach them through EPT01. */
static const uint64_t *l1_table(void *arg, uint64_t l1_gpa) {
  struct core_vcpu *v = (struct core_vcpu *)arg;
  uint64_t hpa;
  if (!ept01_translate(v, l1_gpa, &hpa, NULL)) return NULL;
  return (const uint64_t *)core_plat(v)->phys(core_plat(v)->ctx, hpa,
                                              CORE_PAGE_SIZE);
}

static const uint64_t *machine_table(void *arg, uint64_t pa) {
  struct core_vcpu *v = (struct core_vcpu *)arg;
  return (const uint64_t *)core_plat(v)->phys(core_plat(v)->ctx, pa,
                                              CORE_PAGE_SIZE);
}

bool ept02_lookup(struct core_vcpu *v, uint64_t l2_gpa, uint64_t *hpa) {
  struct ept_walk w;
  CORE_ASSERT(v, v->ept02_active < CORE_EPT02_CACHE);
  core_point(v, CORE_POINT_EPT02_FILL);
  if (!ept_walk(machine_table, v, v->ept02[v->ept02_active].root_hpa, l2_gpa,
                &w))
    return false;
  *hpa = w.pa;
  return true;
}

int ept02_fill(struct core_vcpu *v, uint64_t l2_gpa, uint64_t *hpa) {
  CORE_ASSERT(v, v->ept02_flush_block > 0);
  CORE_ASSERT(v, v->ept02_active < CORE_EPT02_CACHE);
  struct core_ept02 *e = &v->ept02[v->ept02_active];
  struct ept_walk w12;
  if (!ept_walk(l1_table, v, e->eptp12, l2_gpa, &w12)) return 1;
  uint64_t hpa01, rwx01;
  if (!ept01_translate(v, w12.pa, &hpa01, &rwx01)) return 2;
  uint64_t rwx = w12.rwx & rwx01;
  uint64_t page = l2_gpa & ~(CORE_PAGE_SIZE - 1);
  core_point(v, CORE_POINT_EPT02_FILL);
  if (!ept_map_4k(v, e->root_hpa, page, hpa01, rwx, e->pool_hpa,
                  CORE_EPT02_PAGES, &e->pool_used)) {
    ept02_empty(v, e); /* pool exhausted: start over */
    CORE_ASSERT(v, ept_map_4k(v, e->root_hpa, page, hpa01, rwx, e->pool_hpa,
                              CORE_EPT02_PAGES, &e->pool_used));
  }
  e->fills++;
  *hpa = (hpa01 & ~(CORE_PAGE_SIZE - 1)) | (l2_gpa & (CORE_PAGE_SIZE - 1));
  return 0;
}
