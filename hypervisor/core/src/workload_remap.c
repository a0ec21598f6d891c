/*
 * The remap workload: L0 moves pages of L1's memory between two machine
 * locations, as page deduplication or migration would. Each step moves one
 * page through a quiesce: copy the contents while every other CPU is
 * stopped, then point EPT01 at the new location. The pages it picks are the
 * ones L1's VMCS12 points at (I/O and MSR bitmaps of every CPU running L1),
 * so a CPU running L2 must re-walk VMCS02's address fields when it flushes:
 * the incomplete flush of `ept01-flush-incomplete` leaves them stale.
 */
#include "services.h"
#include "workloads.h"

static const uint64_t remap_pages[] = {CORE_WL_IO_A, CORE_WL_IO_B, CORE_WL_MSR};
#define REMAP_PAGES_PER_CPU (sizeof(remap_pages) / sizeof(remap_pages[0]))

struct remap_move {
  uint64_t gpa;
  uint64_t from;
  uint64_t to;
};

static void remap_change_ept01(struct core_vcpu *v, void *arg) {
  struct remap_move *m = (struct remap_move *)arg;
  void *to = v->core->plat->phys(v->core->plat->ctx, m->to, CORE_PAGE_SIZE);
  void *from = v->core->plat->phys(v->core->plat->ctx, m->from, CORE_PAGE_SIZE);
  CORE_ASSERT(v, to && from);
  core_copy(to, from, CORE_PAGE_SIZE);
  CORE_ASSERT(v, core_ept01_map(v, m->gpa, m->to, EPT_RWX));
}

bool workload_remap_step(struct core_vcpu *v) {
  struct core *c = v->core;
  struct core_wl_remap *w = &v->wl_remap;
  const struct core_workload_config *cfg = &c->cfg.workload[v->id];
  if (w->iter >= cfg->iterations) return false;
  /* The k-th page of the l-th CPU that runs L1, in turn. */
  uint32_t l1_cpus[CORE_MAX_CPUS];
  uint32_t n = 0;
  for (uint32_t i = 0; i < c->cfg.cpu_count; i++)
    if (c->cfg.workload[i].kind == CORE_WORKLOAD_L1) l1_cpus[n++] = i;
  if (n == 0) {
    w->iter = cfg->iterations;
    return false;
  }
  uint32_t slot = w->iter % (n * (uint32_t)REMAP_PAGES_PER_CPU);
  CORE_ASSERT(v, slot < CORE_REMAP_SLOTS);
  struct remap_move m;
  m.gpa = core_wl_l1_region(l1_cpus[slot / REMAP_PAGES_PER_CPU]) + remap_pages[slot % REMAP_PAGES_PER_CPU];
  CORE_ASSERT(v, core_ept01_translate(v, m.gpa, &m.from));
  /* Identity-mapped pages move to their spare page, moved ones come home. */
  m.to = m.from == m.gpa ? c->remap_area + (uint64_t)slot * CORE_PAGE_SIZE : m.gpa;
  core_ept01_change(v, remap_change_ept01, &m);
  w->iter++;
  return w->iter < cfg->iterations;
}
