/*
 * Internal interfaces between the core's files: assertions, yield points,
 * locks, and the functions along the seed's NMI call stack.
 */
#ifndef NESTRR_CORE_INTERNAL_H
#define NESTRR_CORE_INTERNAL_H

#include "nestrr/core/core.h"

/* Real, distinct frames for stack traces: no inlining, no clones. */
#if defined(__clang__)
#define CORE_NOINLINE __attribute__((noinline))
#else
#define CORE_NOINLINE __attribute__((noinline, noclone))
#endif

#ifdef __FILE_NAME__
#define CORE_FILE __FILE_NAME__
#else
#define CORE_FILE __FILE__
/* ---- workloads ---- */
bool workload_l1_step(struct core_vcpu *v);
bool workload_pal_step(struct core_vcpu *v);

#endif

/* Halts the CPU through the platform when `cond` is false. */
#define CORE_ASSERT(vcpu, cond)                                      \
  do {                                                               \
    if (!(cond)) core_assert_fail((vcpu), #cond, CORE_FILE, __LINE__); \
  } while (0)

void core_assert_fail(struct core_vcpu *v, const char *cond, const char *file,
                      uint32_t line) __attribute__((noreturn)) CORE_NOINLINE;

static inline const struct core_platform *core_plat(struct core_vcpu *v) {
  return v->core->plat;
}

/* Yield point before an access to shared state (platform.h contract). */
void core_point(struct core_vcpu *v, enum core_point id);
void core_wait(struct core_vcpu *v, enum core_point id, core_wait_pred pred,
               void *arg);
void core_event(struct core_vcpu *v, uint32_t kind, uint64_t a, uint64_t b,
                uint64_t c);
/* Reports VMCS02's guest-physical-address fields just computed. */
void core_event_translation(struct core_vcpu *v, const struct core_gpa_field *fields,
                            uint32_t count);
#define CORE_GPA_FIELDS_MAX VMCS_GPA_FIELDS_MAX

/* Spin lock through wait_until; reported to the platform. */
void core_lock(struct core_vcpu *v, volatile uint32_t *lock, uint32_t lock_id,
               enum core_point id);
void core_unlock(struct core_vcpu *v, volatile uint32_t *lock,
                 uint32_t lock_id, enum core_point id);

/* Freestanding helpers. */
void core_zero(void *p, uint64_t n);
void core_copy(void *dst, const void *src, uint64_t n);
void *core_phys(struct core_vcpu *v, uint64_t pa, uint64_t len);

static inline enum core_variant core_variant_of(const struct core_vcpu *v) {
  return (enum core_variant)v->core->cfg.variant;
}
/* Does this variant keep the mode in two flags? */
static inline bool core_variant_two_flags(uint32_t variant) {
  return variant == CORE_VARIANT_EPT01_FLUSH_INCOMPLETE ||
         variant == CORE_VARIANT_VMXON_TWO_FLAGS;
}
static inline bool core_two_flags(const struct core_vcpu *v) {
  return core_variant_two_flags(v->core->cfg.variant);
}
/* Does the flush re-walk the VMCS02 gpa fields? */
static inline bool core_flush_rewalks(const struct core_vcpu *v) {
  return core_variant_of(v) != CORE_VARIANT_EPT01_FLUSH_INCOMPLETE;
}

/* Does L0 inject guest NMIs only when the guest does not block them
 * (virtual NMIs, NMI-window exiting)? */
static inline bool core_gnmi_checks_blocking(const struct core_vcpu *v) {
  return core_variant_of(v) != CORE_VARIANT_NMI_INJECT_UNCHECKED;
}
/* Do intercept handlers simulate NMI blocking while they hold their copy
 * of VMCS01? */
static inline bool core_gnmi_simulates_blocking(const struct core_vcpu *v) {
  return core_variant_of(v) != CORE_VARIANT_NMI_VMCS_OVERWRITE;
}

/* ---- vmx_mode.c ---- */
enum core_vmx_mode vmx_mode_get(struct core_vcpu *v);
void vmx_mode_set(struct core_vcpu *v, enum core_vmx_mode m);
bool cpu_in_l2(struct core_vcpu *v); /* "L2 running" as the mode says */

/* ---- ept.c ---- */
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

/* ---- ept02_cache.c ---- */
uint32_t ept02_get(struct core_vcpu *v, uint64_t eptp12); /* index */
void ept02_flush_all(struct core_vcpu *v);
void ept02_invalidate_eptp12(struct core_vcpu *v, uint64_t eptp12);
void ept02_block_flush(struct core_vcpu *v);
void ept02_unblock_flush(struct core_vcpu *v);
/* 0 ok, 1 EPT12 misses, 2 EPT01 misses; l1_gpa gets the EPT12 result. */
int ept02_fill(struct core_vcpu *v, uint64_t l2_gpa, uint64_t *hpa);
bool ept02_lookup(struct core_vcpu *v, uint64_t l2_gpa, uint64_t *hpa);

/* ---- flush.c: the NMI-side flush, names as in the seed's stack ---- */
void flush_localtlb(struct core_vcpu *v, uint32_t origin) CORE_NOINLINE;
void flush_ept02(struct core_vcpu *v, uint32_t origin) CORE_NOINLINE;
void flush_ept02_effect(struct core_vcpu *v, uint32_t origin) CORE_NOINLINE;

/* ---- vmcs12.c ---- */
bool cpu_has_current_vmcs12(struct core_vcpu *v);
struct core_vmcs12 *find_current_vmcs12(struct core_vcpu *v) CORE_NOINLINE;
struct core_vmcs12 *vmcs12_find(struct core_vcpu *v, uint64_t gpa);
struct core_vmcs12 *vmcs12_load(struct core_vcpu *v, uint64_t gpa);
void vmcs12_clear(struct core_vcpu *v, uint64_t gpa);
void vmcs12_set_current(struct core_vcpu *v, uint32_t slot);
uint32_t vmcs12_current_slot(struct core_vcpu *v);
uint64_t vmcs_get(const uint64_t *values, uint32_t encoding);
void vmcs_set(uint64_t *values, uint32_t encoding, uint64_t value);

/* ---- vmcs02_build.c ---- */
/* 0 on success, else a VM-instruction error number. */
uint32_t vmcs02_build(struct core_vcpu *v, const struct core_vmcs12 *vmcs12);
void vmcs02_to_vmcs12(struct core_vcpu *v, struct core_vmcs12 *vmcs12);
uint32_t vmcs02_rewalk_ept01(struct core_vcpu *v, const struct core_vmcs12 *vmcs12);
bool vmcs_gpa_field_enabled(const uint64_t *values, uint32_t index);
/* EPT pointer checks of VM entry and INVEPT (type, walk length, reserved). */
bool vmx_eptp_valid(uint64_t eptp);

/* ---- vmx_insn.c / vmx_entry.c ---- */
/* error 0 = VMfailInvalid, else VMfail(error). */
void vmx_insn_fail(struct core_vcpu *v, struct core_vmx_result *res,
                   uint32_t error);
void vmx_insn_ud(struct core_vmx_result *res);
void vmx_enter(struct core_vcpu *v, bool launch, struct core_vmx_result *res);

/* ---- nmi_quiesce.c ---- */
void nmi_handler(struct core_vcpu *v) CORE_NOINLINE;
void nmi_check_quiesce(struct core_vcpu *v) CORE_NOINLINE;

/* ---- guest_nmi.c: NMIs meant for the guest (nmi workload) ---- */
/* Is NMI virtualization for L1 on for this CPU? */
bool gnmi_on(const struct core_vcpu *v);
/* The NMI handler's path for an NMI that is not a quiesce request. */
void gnmi_arrived(struct core_vcpu *v) CORE_NOINLINE;
/* Around every intercept of L1 (VMX instructions, L2 exits reflected to L1,
 * the guest's own exits): the handler's copy of VMCS01 and, at the end,
 * L0 resuming L1 (`resume_l1`) or L2. */
void gnmi_intercept_enter(struct core_vcpu *v);
void gnmi_intercept_leave(struct core_vcpu *v, bool resume_l1);
/* The L1 workload's guest side: one step of the guest's NMI handler if it
 * runs one (true), and the guest's idling after its last iteration until
 * every sender is done (true while there is more to do). */
bool gnmi_guest_step(struct core_vcpu *v);
bool gnmi_guest_idle(struct core_vcpu *v);

/* ---- workloads ---- */
bool workload_l1_step(struct core_vcpu *v);
bool workload_pal_step(struct core_vcpu *v);
bool workload_remap_step(struct core_vcpu *v);
bool workload_nmi_step(struct core_vcpu *v);

#endif
