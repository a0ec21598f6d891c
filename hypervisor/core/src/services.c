/*
 * The services every file of the core uses (services.h): the platform
 * callbacks a CPU goes through (assertions, yield points, waits, events,
 * locks, machine memory) and the freestanding copy and zero helpers.
 */
#include "services.h"

/* ---- platform services ---- */

/* The functions below carry a CPU to its platform callbacks; a debugger
 * looking for where a parked CPU stands skips their frames. Keep the list
 * in step with the definitions that follow. */
const char *const core_platform_glue[] = {
    "core_assert_fail", "core_point", "core_wait", "core_event",
    "core_event_translation", "core_lock", "core_unlock", 0};

void core_assert_fail(struct core_vcpu *v, const char *cond, const char *file,
                      uint32_t line) {
  const struct core_platform *p = core_plat(v);
  v->halted = 1;
  p->assert_failed(p->ctx, v->id, cond, file, line);
  p->halt(p->ctx, v->id);
}

void core_point(struct core_vcpu *v, enum core_point id) {
  const struct core_platform *p = core_plat(v);
  v->progress++;
  v->point = (uint32_t)id;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  p->point(p->ctx, v->id, (uint32_t)id);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  core_nmi_poll(v->core, v->id); /* before the access this point guards */
}

void core_wait(struct core_vcpu *v, enum core_point id, core_wait_pred pred,
               void *arg) {
  const struct core_platform *p = core_plat(v);
  v->progress++;
  v->point = (uint32_t)id;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  p->wait_until(p->ctx, v->id, (uint32_t)id, pred, arg);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void core_event(struct core_vcpu *v, uint32_t kind, uint64_t a, uint64_t b,
                uint64_t c) {
  const struct core_platform *p = core_plat(v);
  if (!p->event) return;
  struct core_event ev;
  ev.kind = kind;
  ev.a = a;
  ev.b = b;
  ev.c = c;
  ev.fields = 0;
  ev.field_count = 0;
  p->event(p->ctx, v->id, &ev);
}

void core_event_translation(struct core_vcpu *v, const struct core_gpa_field *fields,
                            uint32_t count) {
  const struct core_platform *p = core_plat(v);
  if (!p->event) return;
  struct core_event ev;
  ev.kind = CORE_EV_VMCS02_TRANSLATION;
  ev.a = ev.b = ev.c = 0;
  ev.fields = fields;
  ev.field_count = count;
  p->event(p->ctx, v->id, &ev);
}

static bool lock_try(void *arg) {
  volatile uint32_t *lock = (volatile uint32_t *)arg;
  uint32_t expected = 0;
  return __atomic_compare_exchange_n(lock, &expected, 1u, false,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void core_lock(struct core_vcpu *v, volatile uint32_t *lock, uint32_t lock_id,
               enum core_point id) {
  const struct core_platform *p = core_plat(v);
  core_wait(v, id, lock_try, (void *)lock);
  if (lock_id < CORE_LOCK_IDS) v->core->lock_acquisitions[lock_id]++; /* held: no race */
  if (p->lock_acquired) p->lock_acquired(p->ctx, v->id, lock_id);
}

void core_unlock(struct core_vcpu *v, volatile uint32_t *lock,
                 uint32_t lock_id, enum core_point id) {
  const struct core_platform *p = core_plat(v);
  core_point(v, id);
  if (p->lock_released) p->lock_released(p->ctx, v->id, lock_id);
  __atomic_store_n(lock, 0u, __ATOMIC_RELEASE);
}

void *core_phys(struct core_vcpu *v, uint64_t pa, uint64_t len) {
  const struct core_platform *p = core_plat(v);
  void *ptr = p->phys(p->ctx, pa, len);
  CORE_ASSERT(v, ptr != NULL);
  return ptr;
}

/* ---- freestanding helpers ---- */

void core_zero(void *p, uint64_t n) {
  volatile uint8_t *b = (volatile uint8_t *)p; /* volatile: no memset call */
  uint64_t i = 0;
  for (; i < n && ((uintptr_t)(b + i) & 7u) != 0; i++) b[i] = 0;
  volatile uint64_t *w = (volatile uint64_t *)(b + i); /* pages: 8 bytes a store */
  for (; i + 8 <= n; i += 8) *w++ = 0;
  for (; i < n; i++) b[i] = 0;
}

/* volatile: no memcpy call. VMCS12 values and pages are 8-byte aligned on
 * both sides: those go 8 bytes a store (a VMCS12 load or store copies
 * every field, on every VM entry and exit). */
void core_copy(void *dst, const void *src, uint64_t n) {
  uint64_t i = 0;
  if ((((uintptr_t)dst | (uintptr_t)src) & 7u) == 0) {
    typedef uint64_t __attribute__((may_alias)) word; /* any object's bytes */
    volatile word *d8 = (volatile word *)dst;
    const word *s8 = (const word *)src;
    for (; i + 8 <= n; i += 8) *d8++ = *s8++;
  }
  volatile uint8_t *d = (volatile uint8_t *)dst;
  const uint8_t *s = (const uint8_t *)src;
  for (; i < n; i++) d[i] = s[i];
}
