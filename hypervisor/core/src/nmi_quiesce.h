/*
 * The NMI handler and the quiesce protocol (nmi_quiesce.c).
 */
#ifndef NESTRR_CORE_NMI_QUIESCE_H
#define NESTRR_CORE_NMI_QUIESCE_H

#include "services.h"

void nmi_handler(struct core_vcpu *v) CORE_NOINLINE;
void nmi_check_quiesce(struct core_vcpu *v) CORE_NOINLINE;

#endif
