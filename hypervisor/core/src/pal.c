/*
 * PALs in the manner of TrustVisor: registering a PAL isolates its pages
 * from L1 by removing them from EPT01 (a quiesce, so every CPU flushes);
 * running it touches the pages through their machine addresses;
 * unregistering maps them back. The registry is shared, under the PAL lock.
 */
#include "services.h"

struct pal_change {
  struct core_pal *pal;
  bool map; /* true: give pages back to L1; false: isolate */
};

static void pal_change_ept01(struct core_vcpu *v, void *arg) {
  struct pal_change *ch = (struct pal_change *)arg;
  for (uint64_t i = 0; i < ch->pal->pages; i++) {
    uint64_t gpa = ch->pal->gpa + i * CORE_PAGE_SIZE;
    CORE_ASSERT(v, core_ept01_map(v, gpa, ch->pal->hpa[i],
                                  ch->map ? EPT_RWX : 0));
  }
}

static bool pal_overlaps(struct core *c, uint64_t gpa, uint64_t pages) {
  for (uint32_t i = 0; i < CORE_MAX_PALS; i++) {
    struct core_pal *p = &c->pals[i];
    if (p->id && gpa < p->gpa + p->pages * CORE_PAGE_SIZE &&
        p->gpa < gpa + pages * CORE_PAGE_SIZE)
      return true;
  }
  return false;
}

uint64_t core_pal_register(struct core_vcpu *v, uint64_t gpa, uint64_t pages) {
  struct core *c = v->core;
  if (pages == 0 || pages > CORE_PAL_MAX_PAGES || (gpa & (CORE_PAGE_SIZE - 1)))
    return 0;
  core_lock(v, &c->pal_lock, CORE_LOCK_PAL, CORE_POINT_PAL_LOCK);
  struct core_pal *pal = NULL;
  for (uint32_t i = 0; i < CORE_MAX_PALS && !pal; i++)
    if (!c->pals[i].id) pal = &c->pals[i];
  bool ok = pal && !pal_overlaps(c, gpa, pages);
  for (uint64_t i = 0; ok && i < pages; i++)
    ok = core_ept01_translate(v, gpa + i * CORE_PAGE_SIZE, &pal->hpa[i]);
  if (ok) {
    pal->id = c->pal_next_id++;
    pal->cpu = v->id;
    pal->gpa = gpa;
    pal->pages = pages;
    pal->runs = 0;
    struct pal_change ch = {pal, false};
    core_ept01_change(v, pal_change_ept01, &ch);
    core_event(v, CORE_EV_PAL_REGISTER, pal->id, gpa, pages * CORE_PAGE_SIZE);
  }
  uint64_t id = ok ? pal->id : 0;
  core_unlock(v, &c->pal_lock, CORE_LOCK_PAL, CORE_POINT_PAL_UNLOCK);
  return id;
}

static struct core_pal *pal_find(struct core *c, uint64_t id) {
  for (uint32_t i = 0; i < CORE_MAX_PALS; i++)
    if (id && c->pals[i].id == id) return &c->pals[i];
  return NULL;
}

bool core_pal_run(struct core_vcpu *v, uint64_t pal_id) {
  struct core *c = v->core;
  core_lock(v, &c->pal_lock, CORE_LOCK_PAL, CORE_POINT_PAL_LOCK);
  struct core_pal *pal = pal_find(c, pal_id);
  if (pal) {
    pal->runs++;
    for (uint64_t i = 0; i < pal->pages; i++)
      *(volatile uint64_t *)core_phys(v, pal->hpa[i], 8) = pal->runs;
  }
  core_unlock(v, &c->pal_lock, CORE_LOCK_PAL, CORE_POINT_PAL_UNLOCK);
  return pal != NULL;
}

bool core_pal_unregister(struct core_vcpu *v, uint64_t pal_id) {
  struct core *c = v->core;
  core_lock(v, &c->pal_lock, CORE_LOCK_PAL, CORE_POINT_PAL_LOCK);
  struct core_pal *pal = pal_find(c, pal_id);
  if (pal) {
    struct pal_change ch = {pal, true};
    core_ept01_change(v, pal_change_ept01, &ch);
    core_event(v, CORE_EV_PAL_UNREGISTER, pal_id, 0, 0);
    pal->id = 0;
  }
  core_unlock(v, &c->pal_lock, CORE_LOCK_PAL, CORE_POINT_PAL_UNLOCK);
  return pal != NULL;
}
