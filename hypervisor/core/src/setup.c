/*
 * Setup of the core: the machine-memory layout (L1 memory, EPT01, per-CPU
 * EPT02 pools, remap slots), the CPUs' reset state, EPT01's identity map,
 * and resuming from a key frame's copy of struct core.
 */
#include "ept.h"
#include "services.h"

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
