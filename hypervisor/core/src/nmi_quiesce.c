/*
 * The quiesce protocol. A CPU about to change EPT01 takes the quiesce lock,
 * posts a request to every other CPU and sends each an NMI, waits until all
 * acknowledged (they are parked in their NMI handlers), changes EPT01,
 * flushes its own EPT state, releases them, and waits until each has
 * flushed too. The NMI handler side: nmi_handler -> nmi_check_quiesce ->
 * acknowledge, wait for release -> flush_localtlb -> ... (flush.c).
 */
#include "core_internal.h"

static bool all_acked(void *arg) {
  struct core_quiesce *q = (struct core_quiesce *)arg;
  return __atomic_load_n(&q->acks, __ATOMIC_ACQUIRE) == q->expected;
}

static bool all_resumed(void *arg) {
  struct core_quiesce *q = (struct core_quiesce *)arg;
  return __atomic_load_n(&q->resumed, __ATOMIC_ACQUIRE) == q->expected;
}

static bool released(void *arg) {
  struct core_vcpu *v = (struct core_vcpu *)arg;
  return __atomic_load_n(&v->core->quiesce.released, __ATOMIC_ACQUIRE) ==
         v->quiesce_seen;
}

void core_ept01_change(struct core_vcpu *v, core_ept01_change_fn fn, void *arg) {
  struct core *c = v->core;
  struct core_quiesce *q = &c->quiesce;
  core_lock(v, &q->lock, CORE_LOCK_QUIESCE, CORE_POINT_QUIESCE_LOCK);
  core_point(v, CORE_POINT_QUIESCE_REQUEST);
  uint64_t gen = q->generation + 1;
  q->generation = gen;
  q->initiator = v->id;
  q->expected = c->cfg.cpu_count - 1;
  __atomic_store_n(&q->acks, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&q->resumed, 0u, __ATOMIC_RELAXED);
  core_event(v, CORE_EV_QUIESCE_BEGIN, gen, 0, 0);
  for (uint32_t cpu = 0; cpu < c->cfg.cpu_count; cpu++) {
    if (cpu == v->id) continue;
    __atomic_store_n(&q->pending[cpu], gen, __ATOMIC_RELEASE);
    core_event(v, CORE_EV_NMI_SENT, cpu, gen, 0);
    c->plat->send_nmi(c->plat->ctx, v->id, cpu);
  }
  core_wait(v, CORE_POINT_QUIESCE_WAIT_ACKS, all_acked, q);

  fn(v, arg);
  flush_localtlb(v, CORE_ORIGIN_LOCAL);

  core_point(v, CORE_POINT_QUIESCE_RELEASE);
  __atomic_store_n(&q->released, gen, __ATOMIC_RELEASE);
  core_wait(v, CORE_POINT_QUIESCE_WAIT_RESUMED, all_resumed, q);
  core_event(v, CORE_EV_QUIESCE_END, gen, 0, 0);
  core_unlock(v, &q->lock, CORE_LOCK_QUIESCE, CORE_POINT_QUIESCE_UNLOCK);
}

void nmi_check_quiesce(struct core_vcpu *v) {
  struct core_quiesce *q = &v->core->quiesce;
  core_point(v, CORE_POINT_NMI_CHECK);
  uint64_t gen = __atomic_load_n(&q->pending[v->id], __ATOMIC_ACQUIRE);
  if (gen == 0 || gen == v->quiesce_seen) { /* not a quiesce NMI: the guest's */
    core_event(v, CORE_EV_NMI_RECEIVED, v->nmi_progress, 0, CORE_NO_CPU);
    v->nmi_unlogged = 0;
    gnmi_arrived(v);
    return;
  }
  core_event(v, CORE_EV_NMI_RECEIVED, v->nmi_progress, gen, q->initiator);
  v->nmi_unlogged = 0;
  v->quiesce_seen = gen;
  core_point(v, CORE_POINT_NMI_ACK);
  core_event(v, CORE_EV_QUIESCE_ACK, q->initiator, gen, 0);
  __atomic_fetch_add(&q->acks, 1u, __ATOMIC_ACQ_REL);
  core_wait(v, CORE_POINT_NMI_WAIT_RELEASE, released, v);
  flush_localtlb(v, CORE_ORIGIN_QUIESCE_NMI);
  core_point(v, CORE_POINT_NMI_RESUMED);
  __atomic_fetch_add(&q->resumed, 1u, __ATOMIC_ACQ_REL);
}

void nmi_handler(struct core_vcpu *v) {
  v->in_nmi = 1;
  v->nmi_unlogged = 1;
  v->nmi_count++;
  v->nmi_progress = v->progress; /* where the NMI landed */
  nmi_check_quiesce(v);
  v->in_nmi = 0;
}

void core_nmi(struct core *c, uint32_t cpu) { nmi_handler(&c->vcpu[cpu]); }

void core_nmi_latch(struct core *c, uint32_t cpu) {
  __atomic_fetch_add(&c->vcpu[cpu].nmi_latched, 1u, __ATOMIC_ACQ_REL);
}

uint32_t core_nmi_poll(struct core *c, uint32_t cpu) {
  struct core_vcpu *v = &c->vcpu[cpu];
  uint32_t taken = 0;
  while (!v->in_nmi && __atomic_load_n(&v->nmi_latched, __ATOMIC_ACQUIRE) != 0) {
    __atomic_fetch_sub(&v->nmi_latched, 1u, __ATOMIC_ACQ_REL);
    nmi_handler(v);
    taken++;
  }
  return taken;
}

void core_idle_enter(struct core *c, uint32_t cpu) {
  struct core_vcpu *v = &c->vcpu[cpu];
  v->progress++;
  v->point = CORE_POINT_IDLE;
  v->idle = 1;
}
