/*
 * Services every file of the core uses: assertions, yield points and
 * waits, locks, events to the platform, machine memory, freestanding
 * helpers (services.c).
 */
#ifndef NESTRR_CORE_SERVICES_H
#define NESTRR_CORE_SERVICES_H

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

#endif
