/* Instantiates the tracepoint provider (probes and registration). */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "nestrr_tp.h"
