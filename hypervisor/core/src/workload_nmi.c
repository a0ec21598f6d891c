/*
 * The nmi workload: a guest CPU that sends NMIs to the guests of the CPUs
 * running L1, one at a time, and waits until the target guest's NMI handler
 * acknowledged each (as Linux's NMI backtrace does). One iteration sends
 * two NMIs to each L1 CPU in turn, the second right after the first is
 * acknowledged. An NMI that L0 loses is never acknowledged: the sender
 * waits for good.
 *
 * The guest's NMI IPI is L0's to send (an intercepted ICR write). An NMI
 * carries nothing but itself, so the target's L0 tells a guest NMI from a
 * quiesce request only by whether a request is posted; L0 therefore sends
 * it under the quiesce lock and keeps the lock until the target's NMI
 * handler took it. A guest NMI and a quiesce never overlap, and what the
 * handler sees follows from the (logged) order of the lock.
 */
#include "core_internal.h"

#define NMIS_PER_TARGET 2u

/* The CPUs that run L1, other than `self`; returns how many. */
static uint32_t l1_cpus(const struct core *c, uint32_t self, uint32_t *ids) {
  uint32_t count = 0;
  for (uint32_t i = 0; i < c->cfg.cpu_count; i++)
    if (i != self && c->cfg.workload[i].kind == CORE_WORKLOAD_L1) ids[count++] = i;
  return count;
}

struct ticket {
  struct core *c;
  uint32_t target;
  uint64_t number;
};

static bool taken(void *arg) {
  struct ticket *t = (struct ticket *)arg;
  return __atomic_load_n(&t->c->gnmi_taken[t->target], __ATOMIC_ACQUIRE) >= t->number;
}

static bool acknowledged(void *arg) {
  struct ticket *t = (struct ticket *)arg;
  return __atomic_load_n(&t->c->gnmi_acked[t->target], __ATOMIC_ACQUIRE) >= t->number;
}

static bool sender_done(struct core_vcpu *v) {
  struct core_wl_nmi *w = &v->wl_nmi;
  if (!w->done) {
    core_point(v, CORE_POINT_GNMI_SENDER_DONE);
    __atomic_fetch_sub(&v->core->gnmi_senders, 1u, __ATOMIC_ACQ_REL);
    w->done = 1;
  }
  return false;
}

bool workload_nmi_step(struct core_vcpu *v) {
  struct core *c = v->core;
  struct core_wl_nmi *w = &v->wl_nmi;
  const struct core_workload_config *cfg = &c->cfg.workload[v->id];
  uint32_t ids[CORE_MAX_CPUS];
  uint32_t count = l1_cpus(c, v->id, ids);
  if (w->iter >= cfg->iterations || count == 0) return sender_done(v);
  uint32_t target = ids[(w->next / NMIS_PER_TARGET) % count];
  core_lock(v, &c->quiesce.lock, CORE_LOCK_QUIESCE, CORE_POINT_GNMI_LOCK);
  core_point(v, CORE_POINT_GNMI_SEND);
  struct ticket t = {c, target, __atomic_add_fetch(&c->gnmi_sent[target], 1u, __ATOMIC_ACQ_REL)};
  core_event(v, CORE_EV_NMI_SENT, target, 0, 0);
  c->plat->send_nmi(c->plat->ctx, v->id, target);
  core_wait(v, CORE_POINT_GNMI_WAIT_TAKEN, taken, &t);
  core_unlock(v, &c->quiesce.lock, CORE_LOCK_QUIESCE, CORE_POINT_GNMI_UNLOCK);
  core_wait(v, CORE_POINT_GNMI_WAIT_ACK, acknowledged, &t);
  w->next++;
  if (w->next % (NMIS_PER_TARGET * count) == 0) w->iter++;
  if (w->iter >= cfg->iterations) return sender_done(v);
  return true;
}
