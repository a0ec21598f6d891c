/* The image's kernel command line (QEMU -append), parsed. */
#ifndef NESTRR_TESTBOX_OPTIONS_H
#define NESTRR_TESTBOX_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "nestrr/core/core.h"

enum testbox_run {
  TESTBOX_RUN_CORE = 0,     /* the nested-VMX core with the logger */
  TESTBOX_RUN_SELFTEST = 1, /* selftest=smp: CPUs up, NMI IPIs between them */
  TESTBOX_RUN_LOGGER_COST = 2, /* bench=logger-cost: cycles per record, then exit */
};

struct testbox_options {
  enum testbox_run run;
  enum core_variant variant;
  uint32_t cpus;          /* CPUs running the core (QEMU has one more) */
  uint64_t iterations;    /* per CPU; 0 = until stopped */
  uint64_t seed;          /* widening jitter */
  uint32_t widen_point;   /* enum core_point; 0 = no widening */
  uint64_t widen_ns;
  char widen_option[64];  /* "widen=vmxon:20000", as the log records it */
  bool flight;            /* log=flight: flight recorder, dumped at the end */
  uint64_t time_limit_ms; /* time-limit=MS: stop every CPU after MS of guest
                           * time and end the log (0: no limit) */
  bool paced;             /* log=paced: stream, and a CPU whose ring is over half
                           * full waits at its yield points for the drain */
  /* workload=l1,remap: one kind per CPU (sets cpus); 0 entries = the
   * default (the last CPU registers PALs, the others run L1). */
  uint32_t workload_count;
  uint32_t workload[CORE_MAX_CPUS]; /* enum core_workload_kind */
};

/* Parses "KERNEL key=value ..." (the first word is the kernel's path).
 * Keys: variant= cpus= iterations= seed= widen=POINT:NS log=stream|paced|flight
 * time-limit=MS
 * workload=KIND,... (idle, l1, pal, remap) selftest=smp
 * bench=logger-cost. False with a message in `err` (naming the word and its
 * column) on anything else. */
/* "l1", "pal", ... for the log's scenario. */
const char *options_workload_name(uint32_t kind);

bool options_parse(const char *cmdline, struct testbox_options *o, char *err,
                   uint32_t err_len);

#endif
