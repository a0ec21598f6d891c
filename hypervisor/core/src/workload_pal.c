/*
 * The PAL workload: register a PAL over this CPU's PAL pages (an EPT01
 * change, hence a quiesce), run it twice, unregister it; repeat.
 */
#include "services.h"
#include "workloads.h"

uint64_t core_wl_pal_region(uint32_t cpu) {
  return 0x40000ull + (uint64_t)cpu * CORE_PAL_MAX_PAGES * CORE_PAGE_SIZE;
}

enum { PAL_REGISTER, PAL_RUN1, PAL_RUN2, PAL_UNREGISTER };

bool workload_pal_step(struct core_vcpu *v) {
  struct core_wl_pal *w = &v->wl_pal;
  const struct core_workload_config *cfg = &v->core->cfg.workload[v->id];
  if (w->iter >= cfg->iterations) return false;
  uint64_t pages = cfg->pal_pages ? cfg->pal_pages : 1;
  if (pages > CORE_PAL_MAX_PAGES) pages = CORE_PAL_MAX_PAGES;
  switch (w->pc) {
    case PAL_REGISTER:
      w->pal_id = core_pal_register(v, core_wl_pal_region(v->id), pages);
      CORE_ASSERT(v, w->pal_id != 0);
      w->pc = PAL_RUN1;
      break;
    case PAL_RUN1:
    case PAL_RUN2:
      CORE_ASSERT(v, core_pal_run(v, w->pal_id));
      w->pc++;
      break;
    case PAL_UNREGISTER:
      CORE_ASSERT(v, core_pal_unregister(v, w->pal_id));
      w->pal_id = 0;
      w->pc = PAL_REGISTER;
      w->iter++;
      break;
  }
  return w->iter < cfg->iterations;
}
