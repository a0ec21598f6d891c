/*
 * Setup of the core (memory layout, EPT01, CPUs) and the small services all
 * other files use: assertions, yield points, waits, locks, events, memory.
 */
#include "core_internal.h"

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

static bool str_eq(const char *a, size_t alen, const char *b) {
  size_t i = 0;
  for (; i < alen; i++)
    if (b[i] == 0 || a[i] != b[i]) return false;
  return b[i] == 0;
}

static const char *const variant_names[CORE_VARIANT_COUNT] = {
    "ept01-flush-incomplete", "vmxon-two-flags", "fixed", "nmi-inject-unchecked",
    "nmi-vmcs-overwrite"};

bool core_variant_parse(const char *s, size_t len, enum core_variant *out) {
  for (uint32_t i = 0; i < CORE_VARIANT_COUNT; i++) {
    if (str_eq(s, len, variant_names[i])) {
      *out = (enum core_variant)i;
      return true;
    }
  }
  return false;
}

const char *core_variant_name(enum core_variant v) {
  return (uint32_t)v < CORE_VARIANT_COUNT ? variant_names[v] : "unknown";
}

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

/* ---- setup ---- */

static uint64_t ept02_pool_bytes(void) {
  return (uint64_t)CORE_EPT02_CACHE * CORE_EPT02_PAGES * CORE_PAGE_SIZE;
}

uint64_t core_phys_size(const struct core_config *cfg) {
  return cfg->l1_mem_size + CORE_EPT01_PAGES * CORE_PAGE_SIZE +
         (uint64_t)cfg->cpu_count * ept02_pool_bytes() + CORE_REMAP_SLOTS * CORE_PAGE_SIZE;
}

static void vcpu_reset(struct core *c, uint32_t i) {
  struct core_vcpu *v = &c->vcpu[i];
  core_zero(v, sizeof(*v));
  v->core = c;
  v->id = i;
  v->cur_vmcs12 = CORE_VMCS12_NONE;
  v->vmx_mode = CORE_VMX_DISABLED;
  v->ept02_active = CORE_VMCS12_NONE;
  uint64_t pools = c->ept02_pools + (uint64_t)i * ept02_pool_bytes();
  for (uint32_t k = 0; k < CORE_EPT02_CACHE; k++) {
    v->ept02[k].pool_hpa =
        pools + (uint64_t)k * CORE_EPT02_PAGES * CORE_PAGE_SIZE;
    v->ept02[k].root_hpa = v->ept02[k].pool_hpa;
  }
}

bool core_init(struct core *c, const struct core_config *cfg,
               const struct core_platform *plat) {
  if (!cfg || !plat || !plat->phys || !plat->point || !plat->wait_until ||
      !plat->assert_failed || !plat->halt || !plat->send_nmi)
    return false;
  if (cfg->cpu_count == 0 || cfg->cpu_count > CORE_MAX_CPUS) return false;
  if (cfg->variant >= CORE_VARIANT_COUNT) return false;
  if (cfg->l1_mem_size < (4ull << 20) || (cfg->l1_mem_size & ((2ull << 20) - 1)))
    return false;
  if (vmcs_field_count > CORE_VMCS_MAX_FIELDS) return false;
  core_zero(c, sizeof(*c));
  core_copy(&c->cfg, cfg, sizeof(*cfg));
  c->plat = plat;
  c->phys_size = core_phys_size(cfg);
  if (!plat->phys(plat->ctx, 0, c->phys_size)) return false;
  c->ept01_pool = cfg->l1_mem_size;
  c->ept02_pools = c->ept01_pool + CORE_EPT01_PAGES * CORE_PAGE_SIZE;
  c->remap_area = c->ept02_pools + (uint64_t)cfg->cpu_count * ept02_pool_bytes();
  c->pal_next_id = 1;
  for (uint32_t i = 0; i < CORE_MAX_CPUS; i++) vcpu_reset(c, i);
  for (uint32_t i = 0; i < cfg->cpu_count; i++) {
    if (cfg->workload[i].kind != CORE_WORKLOAD_NMI) continue;
    c->guest_nmis = 1;
    c->gnmi_senders++;
  }
  core_zero(plat->phys(plat->ctx, c->ept01_pool, CORE_EPT01_PAGES * CORE_PAGE_SIZE),
            CORE_EPT01_PAGES * CORE_PAGE_SIZE);
  return ept01_build_identity(c, &c->vcpu[0]);
}

static bool same_bytes(const void *a, const void *b, size_t n) {
  const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return false;
  return true;
}

bool core_resume(struct core *c, const void *image, size_t bytes,
                 const struct core_config *cfg, const struct core_platform *plat) {
  const struct core *from = (const struct core *)image;
  if (!image || bytes != sizeof(*c) || !cfg || !plat) return false;
  if (!same_bytes(&from->cfg, cfg, sizeof(*cfg))) return false;
  if (from->phys_size != core_phys_size(cfg) || !plat->phys(plat->ctx, 0, from->phys_size))
    return false;
  for (uint32_t i = 0; i < CORE_MAX_CPUS; i++) {
    const struct core_vcpu *v = &from->vcpu[i];
    if (v->in_nmi || v->nmi_latched || v->nmi_unlogged || v->id != i) return false;
  }
  core_copy(c, image, sizeof(*c));
  c->plat = plat;
  for (uint32_t i = 0; i < CORE_MAX_CPUS; i++) c->vcpu[i].core = c;
  return true;
}

/* ---- L1 memory ---- */

bool core_l1_write64(struct core_vcpu *v, uint64_t gpa, uint64_t value) {
  uint64_t hpa;
  if ((gpa & 7) || !core_ept01_translate(v, gpa, &hpa)) return false;
  *(volatile uint64_t *)core_phys(v, hpa, 8) = value;
  return true;
}

bool core_l1_read64(struct core_vcpu *v, uint64_t gpa, uint64_t *value) {
  uint64_t hpa;
  if ((gpa & 7) || !core_ept01_translate(v, gpa, &hpa)) return false;
  *value = *(volatile uint64_t *)core_phys(v, hpa, 8);
  return true;
}

bool core_l1_zero_page(struct core_vcpu *v, uint64_t gpa) {
  uint64_t hpa;
  if ((gpa & (CORE_PAGE_SIZE - 1)) || !core_ept01_translate(v, gpa, &hpa))
    return false;
  core_zero(core_phys(v, hpa, CORE_PAGE_SIZE), CORE_PAGE_SIZE);
  return true;
}

/* ---- inspection ---- */

enum core_vmx_mode core_vmx_mode_peek(const struct core_vcpu *v) {
  if (!core_variant_two_flags(v->core->cfg.variant))
    return (enum core_vmx_mode)v->vmx_mode;
  if (!v->is_vmx_operation) return CORE_VMX_DISABLED;
  return v->is_vmx_root_operation ? CORE_VMX_ROOT : CORE_VMX_NON_ROOT;
}

uint64_t core_vmcs02_read(const struct core_vcpu *v, uint32_t encoding) {
  return vmcs_get(v->vmcs02, encoding);
}

uint64_t core_vmcs12_peek(const struct core_vcpu *v, uint32_t encoding) {
  uint32_t cur = v->cur_vmcs12;
  if (cur >= CORE_VMCS12_SLOTS) return 0;
  return vmcs_get(v->vmcs12[cur].value, encoding);
}

/* ---- workloads ---- */

bool core_workload_step(struct core *c, uint32_t cpu) {
  struct core_vcpu *v = &c->vcpu[cpu];
  if (v->wl_done) return false;
  bool more = false;
  switch (c->cfg.workload[cpu].kind) {
    case CORE_WORKLOAD_L1: more = workload_l1_step(v); break;
    case CORE_WORKLOAD_PAL: more = workload_pal_step(v); break;
    case CORE_WORKLOAD_REMAP: more = workload_remap_step(v); break;
    case CORE_WORKLOAD_NMI: more = workload_nmi_step(v); break;
    default: break;
  }
  if (!more) v->wl_done = 1;
  return more;
}
