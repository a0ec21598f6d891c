/*
 * NMIs meant for the guest: L0 virtualizes them for L1 (the rich OS, which
 * runs with VMCS01), in the way the XMHF64 thesis describes ("Virtualizing
 * NMIs"), and the L1 workload plays the guest's NMI handler.
 *
 * L0's side. An NMI that is not a quiesce request is the guest's. L0 injects
 * it through VMCS01's VM-entry interruption information when the guest does
 * not block NMIs; otherwise it owes it and sets NMI-window exiting, and the
 * NMI-window exit after the guest's IRET injects it (virtual NMIs). An
 * intercept handler works on its own copy of VMCS01's event fields, taken at
 * its start and written back at its end; while it holds the copy it
 * simulates NMI blocking (the thesis' B and V): an NMI arriving meanwhile is
 * only counted, and virtualized once the copy is written back.
 *
 * The two variants after the thesis' bugs:
 *   nmi-inject-unchecked  injects at once, blocked or not;
 *   nmi-vmcs-overwrite    does not simulate NMI blocking, so the copy
 *                         written back overwrites what the NMI handler
 *                         wrote meanwhile.
 *
 * The guest's side (the L1 workload): a delivered NMI runs the guest's
 * handler over three steps: acknowledge to the sender, read a performance
 * counter MSR (an intercept), IRET. The handler is not reentrant: an NMI
 * delivered while it runs is a failed assertion of the guest.
 *
 * All of this is off (no yield points, no state) unless some CPU runs the
 * nmi workload, so scenarios without guest NMIs keep their schedules.
 */
#include "core_internal.h"

enum { HANDLER_NONE = 0, HANDLER_ACK, HANDLER_RDMSR, HANDLER_IRET };

/* Is the guest running its NMI handler (between delivery and IRET)? */
static bool guest_in_nmi_handler(const struct core_vcpu *v) {
  return v->gnmi.handler_pc != HANDLER_NONE;
}

bool gnmi_on(const struct core_vcpu *v) {
  const struct core *c = v->core;
  return c->guest_nmis && c->cfg.workload[v->id].kind == CORE_WORKLOAD_L1;
}

/* L0's NMI virtualization logic for one guest NMI: writes VMCS01 itself. */
static void virtualize(struct core_vcpu *v) {
  struct core_guest_nmi *g = &v->gnmi;
  core_point(v, CORE_POINT_GNMI_VIRTUALIZE);
  if (!core_gnmi_checks_blocking(v)) {
    g->entry_intr = VMX_INTR_NMI; /* whatever the guest is doing */
    return;
  }
  if (!(g->entry_intr & VMX_INTR_VALID) && !g->guest_blocked) {
    g->entry_intr = VMX_INTR_NMI;
  } else {
    g->owed++;
    g->proc_controls |= VMX_PROC_NMI_WINDOW_EXITING;
  }
}

void gnmi_arrived(struct core_vcpu *v) {
  struct core_guest_nmi *g = &v->gnmi;
  if (!gnmi_on(v)) return;
  core_point(v, CORE_POINT_GNMI_TAKEN); /* the sender's L0 may let go */
  __atomic_fetch_add(&v->core->gnmi_taken[v->id], 1u, __ATOMIC_ACQ_REL);
  if (core_gnmi_simulates_blocking(v) && g->block) {
    g->deferred++; /* an intercept handler holds VMCS01: later */
    return;
  }
  virtualize(v);
}

void gnmi_intercept_enter(struct core_vcpu *v) {
  struct core_guest_nmi *g = &v->gnmi;
  if (!gnmi_on(v)) return;
  if (core_gnmi_simulates_blocking(v)) {
    core_point(v, CORE_POINT_GNMI_BLOCK);
    g->block = 1;
  }
  core_point(v, CORE_POINT_VMCS01_READ);
  g->copy_entry_intr = g->entry_intr;
  g->copy_proc_controls = g->proc_controls;
}

/* L0 resumes L1: an injected NMI is delivered to the guest's handler.
 * True if one was. */
static CORE_NOINLINE bool vm_entry_l1(struct core_vcpu *v) {
  struct core_guest_nmi *g = &v->gnmi;
  core_point(v, CORE_POINT_VM_ENTRY_L1);
  if (!(g->entry_intr & VMX_INTR_VALID)) return false;
  g->entry_intr = 0;
  /* The guest's NMI handler is not reentrant. */
  CORE_ASSERT(v, !guest_in_nmi_handler(v));
  g->guest_blocked = 1; /* virtual NMIs: blocked until the guest's IRET */
  g->handler_pc = HANDLER_ACK;
  g->taken++;
  return true;
}

void gnmi_intercept_leave(struct core_vcpu *v, bool resume_l1) {
  struct core_guest_nmi *g = &v->gnmi;
  if (!gnmi_on(v)) return;
  core_point(v, CORE_POINT_VMCS01_WRITE);
  g->entry_intr = g->copy_entry_intr;
  g->proc_controls = g->copy_proc_controls;
  if (core_gnmi_simulates_blocking(v)) {
    core_point(v, CORE_POINT_GNMI_UNBLOCK);
    g->block = 0;
    while (g->deferred) { /* Algorithm "protecting the critical section" */
      g->deferred--;
      g->block = 1;
      virtualize(v);
      g->block = 0;
    }
  }
  if (resume_l1) (void)vm_entry_l1(v);
}

/* An exit of the guest that L0 handles alone (RDMSR, NMI window). */
static void guest_exit(struct core_vcpu *v, uint32_t reason) {
  struct core_guest_nmi *g = &v->gnmi;
  gnmi_intercept_enter(v);
  if (reason == VMX_EXIT_NMI_WINDOW && g->owed &&
      !(g->copy_entry_intr & VMX_INTR_VALID)) {
    g->owed--;
    g->copy_entry_intr = VMX_INTR_NMI;
    if (!g->owed) g->copy_proc_controls &= ~VMX_PROC_NMI_WINDOW_EXITING;
  }
  gnmi_intercept_leave(v, true);
}

bool gnmi_guest_step(struct core_vcpu *v) {
  struct core_guest_nmi *g = &v->gnmi;
  struct core *c = v->core;
  if (!gnmi_on(v) || g->handler_pc == HANDLER_NONE) return false;
  switch (g->handler_pc) {
    case HANDLER_ACK: /* tell the sender, as Linux's NMI backtrace does */
      core_point(v, CORE_POINT_GUEST_NMI_ACK);
      __atomic_fetch_add(&c->gnmi_acked[v->id], 1u, __ATOMIC_ACQ_REL);
      g->handler_pc = HANDLER_RDMSR;
      break;
    case HANDLER_RDMSR: /* a performance counter: intercepted */
      guest_exit(v, VMX_EXIT_RDMSR);
      g->handler_pc = HANDLER_IRET;
      break;
    case HANDLER_IRET:
      core_point(v, CORE_POINT_GUEST_IRET);
      g->handler_pc = HANDLER_NONE;
      g->guest_blocked = 0;
      /* NMIs unblocked: an armed NMI window exits at once. */
      if (g->proc_controls & VMX_PROC_NMI_WINDOW_EXITING) guest_exit(v, VMX_EXIT_NMI_WINDOW);
      break;
  }
  return true;
}

static bool guest_idle_over(void *arg) {
  struct core_vcpu *v = (struct core_vcpu *)arg;
  return __atomic_load_n(&v->core->gnmi_senders, __ATOMIC_ACQUIRE) == 0 ||
         (v->gnmi.entry_intr & VMX_INTR_VALID);
}

bool gnmi_guest_idle(struct core_vcpu *v) {
  if (!gnmi_on(v)) return false;
  /* The guest idles (without exits) until an NMI is injected, which L0's
   * NMI exit delivers at its VM entry, or until every sender is done. */
  core_wait(v, CORE_POINT_GUEST_IDLE, guest_idle_over, v);
  return vm_entry_l1(v);
}
