/*
 * NMIs meant for the guest, for the nmi workload (guest_nmi.c).
 */
#ifndef NESTRR_CORE_GUEST_NMI_H
#define NESTRR_CORE_GUEST_NMI_H

#include "services.h"

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

#endif
