/* The key-frame barrier of log=flight (keyframe.h). */
#include "keyframe.h"

#include "cpu.h"
#include "timing.h"

/* A key frame is due once some CPU logged this many records since the last
 * one. The ring (1 MiB) holds about 20k records of the core's mix, and a
 * replay needs the older of the two kept key frames to be still covered:
 * two periods must fit in a ring with room to spare. */
#define KEYFRAME_PERIOD 4096u
/* Both key frames: the core (tens of KiB) and the non-zero 1 KiB pieces of
 * machine memory (EPT tables, VMCS pages, what the workloads touched). */
#define KEYFRAME_STORE_BYTES (6u << 20)
/* A waiter gives up on the others after this long and runs its next step. */
#define KEYFRAME_WAIT_NS 20000000ull
/* ... and then lets this many of its step boundaries pass before it joins
 * again, so a barrier that cannot complete costs the run little. */
#define KEYFRAME_BACKOFF_STEPS 256u

static uint64_t store[KEYFRAME_STORE_BYTES / 8];
static struct keyframe_site site;
static volatile uint32_t wanted;
/* Barrier word: generation << 8 | CPUs arrived. */
static volatile uint32_t barrier;
static uint64_t published, abandoned;
static uint32_t backoff[CORE_MAX_CPUS];

void keyframe_setup(const struct keyframe_site *s, struct nestrr_config *lc) {
  site = *s;
  lc->keyframe_memory = store;
  lc->keyframe_bytes = sizeof store;
}

uint64_t keyframe_published(void) { return published; }
uint64_t keyframe_abandoned(void) { return abandoned; }

/* No CPU has an NMI latched, in its handler, or taken and not yet logged. */
static bool nmi_quiet(void) {
  for (uint32_t i = 0; i < site.cpu_count; i++) {
    const struct core_vcpu *v = &site.core->vcpu[i];
    if (__atomic_load_n(&v->nmi_latched, __ATOMIC_ACQUIRE) || core_vcpu_in_nmi(v) ||
        core_vcpu_nmi_unlogged(v))
      return false;
  }
  return true;
}

static void take(void) {
  struct nestrr_region r[2];
  r[0].name = "core";
  r[0].data = site.core;
  r[0].bytes = sizeof *site.core;
  r[0].sparse = 0;
  r[0].reserved = 0;
  r[1].name = "phys";
  r[1].data = site.phys;
  r[1].bytes = site.phys_size;
  r[1].sparse = 1;
  r[1].reserved = 0;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  bool ok = nmi_quiet() && nestrr_logger_keyframe_take(site.lg, r, 2);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (ok && nmi_quiet()) {
    nestrr_logger_keyframe_publish(site.lg);
    published++;
    wanted = 0;
  } else {
    abandoned++;
  }
}

static bool must_leave(uint32_t cpu, uint64_t deadline) {
  return __atomic_load_n(&site.core->vcpu[cpu].nmi_latched, __ATOMIC_ACQUIRE) || *site.stop ||
         *site.freeze || rdtsc() >= deadline;
}

void keyframe_step_boundary(uint32_t cpu) {
  if (!site.lg || *site.stop || *site.freeze) return;
  if (!wanted) {
    if (nestrr_logger_since_keyframe(site.lg, cpu) < KEYFRAME_PERIOD) return;
    wanted = 1;
  }
  if (backoff[cpu]) {
    backoff[cpu]--;
    return;
  }
  if (__atomic_load_n(&site.core->vcpu[cpu].nmi_latched, __ATOMIC_ACQUIRE)) return;
  uint32_t w = __atomic_load_n(&barrier, __ATOMIC_ACQUIRE);
  for (;;) {
    if ((w & 0xffu) >= site.cpu_count) return; /* completing: not ours */
    if (__atomic_compare_exchange_n(&barrier, &w, w + 1u, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_ACQUIRE))
      break;
  }
  uint32_t gen = w >> 8;
  if ((w & 0xffu) + 1u == site.cpu_count) { /* the last one: every CPU is here */
    take();
    __atomic_store_n(&barrier, (gen + 1u) << 8, __ATOMIC_SEQ_CST);
    return;
  }
  uint64_t deadline = rdtsc() + timing_ns_to_tsc(KEYFRAME_WAIT_NS);
  for (;;) {
    w = __atomic_load_n(&barrier, __ATOMIC_ACQUIRE);
    if ((w >> 8) != gen) return; /* taken (or given up) by the last one */
    if (must_leave(cpu, deadline) && (w & 0xffu) < site.cpu_count &&
        __atomic_compare_exchange_n(&barrier, &w, w - 1u, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_ACQUIRE)) {
      if (rdtsc() >= deadline) backoff[cpu] = KEYFRAME_BACKOFF_STEPS;
      return;
    }
    cpu_relax();
  }
}
