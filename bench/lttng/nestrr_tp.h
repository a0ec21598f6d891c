/* LTTng-UST tracepoint provider with the fields of nestrr_log_vm_exit, for
 * comparing the per-event cost of the tracer users would otherwise pick. */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER nestrr_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./nestrr_tp.h"

#if !defined(NESTRR_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define NESTRR_TP_H

#include <lttng/tracepoint.h>
#include <stdint.h>

LTTNG_UST_TRACEPOINT_EVENT(
    nestrr_bench, vm_exit,
    LTTNG_UST_TP_ARGS(uint32_t, cpu, uint32_t, reason, uint64_t, qualification, uint64_t,
                      guest_rip, int, from_l2),
    LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(uint32_t, cpu, cpu)
                            lttng_ust_field_integer(uint32_t, reason, reason)
                                lttng_ust_field_integer_hex(uint64_t, qualification, qualification)
                                    lttng_ust_field_integer_hex(uint64_t, guest_rip, guest_rip)
                                        lttng_ust_field_integer(uint8_t, from_l2, from_l2)))

#endif /* NESTRR_TP_H */

#include <lttng/tracepoint-event.h>
