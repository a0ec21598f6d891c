/* i386 run of the logger (built -m32 -march=i686, hosted only for main,
 * the timer and stdio): logs VM exits in a loop while a fast interval timer
 * interrupts it with a handler that logs NmiReceived (the NMI stand-in),
 * drains now and then, and writes the stream to the file in argv[1],
 * followed by a console line with its own counts. m32_stream_test.cc reads
 * it back with libprotobuf. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "nestrr/logger.h"

enum { kRing = 8192, kIterations = 200000 };

static struct nestrr_logger lg;
static unsigned char mem[NESTRR_LOGGER_MEMORY_BYTES(1, kRing)] __attribute__((aligned(8)));
static FILE *out;
static volatile unsigned long nmi_calls, nmi_stored;
static volatile unsigned long long iter;

static void sink(void *ctx, const char *bytes, unsigned long n) {
  (void)ctx;
  fwrite(bytes, 1, n, out);
}

static void on_timer(int sig) {
  (void)sig;
  nmi_calls++;
  if (nestrr_log_nmi_received(&lg, 0, NESTRR_CPU_UNKNOWN, nmi_calls, 0xc0100000u, iter))
    nmi_stored++;
}

int main(int argc, char **argv) {
  struct nestrr_config cfg;
  struct sigaction sa;
  struct itimerval tv;
  unsigned long vm_stored = 0, vm_dropped = 0;
  unsigned long long i;
  if (argc != 2 || !(out = fopen(argv[1], "wb"))) return 2;
  memset(&cfg, 0, sizeof cfg);
  cfg.cpu_count = 1;
  cfg.ring_bytes = kRing;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = mem;
  cfg.memory_bytes = sizeof mem;
  cfg.write = sink;
  cfg.description = "i386";
  if (!nestrr_logger_init(&lg, &cfg)) return 3;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_timer;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, 0);
  tv.it_interval.tv_sec = 0;
  tv.it_interval.tv_usec = 50;
  tv.it_value = tv.it_interval;
  setitimer(ITIMER_REAL, &tv, 0);
  for (i = 0; i < kIterations; i++) {
    iter = i;
    /* 64-bit values with both halves set exercise the i386 paths. */
    if (nestrr_log_vm_exit(&lg, 0, (uint32_t)i, i << 33 | i, 0xffffffff00000000ull + i * 4, i & 1))
      vm_stored++;
    else
      vm_dropped++;
    if (i % 64 == 0) nestrr_logger_flush(&lg, 0);
  }
  tv.it_interval.tv_usec = 0;
  tv.it_value.tv_usec = 0;
  setitimer(ITIMER_REAL, &tv, 0);
  nestrr_logger_finish(&lg);
  fprintf(out, "m32 vm_stored=%lu vm_dropped=%lu nmi_calls=%lu nmi_stored=%lu\n", vm_stored,
          vm_dropped, (unsigned long)nmi_calls, (unsigned long)nmi_stored);
  return fclose(out) == 0 ? 0 : 4;
}
