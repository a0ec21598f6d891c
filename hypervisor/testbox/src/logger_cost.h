/* The logger's cost in TSC cycles per record, measured the same way on the
 * testbox (bench=logger-cost) and on the host (bench/): one VM-exit record
 * per call, against a bare rdtsc-plus-store loop over the same inputs, in
 * the same run. Freestanding C: no libc, no testbox hardware. */
#ifndef NESTRR_TESTBOX_LOGGER_COST_H
#define NESTRR_TESTBOX_LOGGER_COST_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOGGER_COST_BLOCK 64u      /* calls between two rdtsc reads */
#define LOGGER_COST_BLOCKS 2048u   /* blocks per loop; the median is kept */
#define LOGGER_COST_RING_BYTES (64u * 1024u)

/* Median TSC cycles per block of LOGGER_COST_BLOCK calls. */
struct logger_cost {
  uint64_t bare;    /* rdtsc + store of {tsc, reason, from_l2, qual, rip} */
  uint64_t flight;  /* nestrr_log_vm_exit, flight recorder (overwrite) */
  uint64_t stream;  /* nestrr_log_vm_exit, stream mode, flushed every block
                     * into a sink that only counts bytes */
  uint64_t stream_bytes;   /* what that sink was given */
  uint64_t stream_dropped; /* records the stream logger dropped (0 expected) */
};

/* Memory the measurement needs (two one-CPU loggers and the samples). */
#define LOGGER_COST_MEMORY_BYTES (3u * 1024u * 1024u)

/* Runs the three loops on the calling CPU with `memory` (8-byte aligned,
 * LOGGER_COST_MEMORY_BYTES). False if a logger refused its setup. */
bool logger_cost_measure(void *memory, uint64_t memory_bytes, uint64_t tsc_hz,
                          struct logger_cost *out);

#ifdef __cplusplus
}
#endif

#endif
