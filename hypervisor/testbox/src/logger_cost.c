/* Logger cost per record: see logger_cost.h. The inputs are a fixed
 * pseudo-random set of VM exits generated before any loop runs, so the
 * three loops store the same fields in the same order. */
#include "logger_cost.h"

#include <stddef.h>

#include "nestrr/logger.h"

#define INPUTS 256u
#define BARE_SLOTS 4096u

struct input {
  uint32_t reason;
  uint32_t from_l2;
  uint64_t qual, rip;
};

struct bare_record {
  uint64_t tsc, qual, rip;
  uint32_t reason, from_l2;
};

struct cost_memory {
  struct input in[INPUTS];
  struct bare_record bare[BARE_SLOTS];
  uint64_t sample[LOGGER_COST_BLOCKS];
  uint64_t flight_mem[NESTRR_LOGGER_MEMORY_BYTES(1, LOGGER_COST_RING_BYTES) / 8 + 1];
  uint64_t stream_mem[NESTRR_LOGGER_MEMORY_BYTES(1, LOGGER_COST_RING_BYTES) / 8 + 1];
};

_Static_assert(sizeof(struct cost_memory) <= LOGGER_COST_MEMORY_BYTES, "LOGGER_COST_MEMORY_BYTES too small");

static inline uint64_t tsc(void) { return __builtin_ia32_rdtsc(); }

static void make_inputs(struct input *in) {
  /* Exit reasons of a busy L1: EPT violation, I/O, external interrupt,
   * CPUID, RDMSR, WRMSR, VMCALL, HLT. */
  static const uint32_t reasons[8] = {48, 30, 1, 10, 31, 32, 18, 12};
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (uint32_t i = 0; i < INPUTS; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    in[i].reason = reasons[x & 7];
    in[i].from_l2 = (uint32_t)((x >> 3) & 1);
    in[i].qual = (x >> 8) & 0xfff;
    in[i].rip = 0xffffffff81000000ull + ((x >> 20) & 0xfffff);
  }
}

static void sort(uint64_t *v, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    uint64_t k = v[i];
    uint32_t j = i;
    for (; j > 0 && v[j - 1] > k; j--) v[j] = v[j - 1];
    v[j] = k;
  }
}

static uint64_t median(uint64_t *v, uint32_t n) {
  sort(v, n);
  return v[n / 2];
}

static void count_bytes(void *ctx, const char *bytes, unsigned long n) {
  (void)bytes;
  *(uint64_t *)ctx += n;
}

static uint64_t bare_loop(struct cost_memory *m) {
  uint32_t i = 0;
  for (uint32_t b = 0; b < LOGGER_COST_BLOCKS; b++) {
    uint64_t t0 = tsc();
    for (uint32_t k = 0; k < LOGGER_COST_BLOCK; k++, i++) {
      const struct input *e = &m->in[i % INPUTS];
      volatile struct bare_record *r = &m->bare[i % BARE_SLOTS];
      r->tsc = tsc();
      r->reason = e->reason;
      r->from_l2 = e->from_l2;
      r->qual = e->qual;
      r->rip = e->rip;
    }
    m->sample[b] = tsc() - t0;
  }
  return median(m->sample, LOGGER_COST_BLOCKS);
}

static uint64_t logger_loop(struct cost_memory *m, struct nestrr_logger *lg, bool flush) {
  uint32_t i = 0;
  for (uint32_t b = 0; b < LOGGER_COST_BLOCKS; b++) {
    uint64_t t0 = tsc();
    for (uint32_t k = 0; k < LOGGER_COST_BLOCK; k++, i++) {
      const struct input *e = &m->in[i % INPUTS];
      nestrr_log_vm_exit(lg, 0, e->reason, e->qual, e->rip, e->from_l2 != 0);
    }
    if (flush) nestrr_logger_flush(lg, 0);
    m->sample[b] = tsc() - t0;
  }
  return median(m->sample, LOGGER_COST_BLOCKS);
}

bool logger_cost_measure(void *memory, uint64_t memory_bytes, uint64_t tsc_hz,
                          struct logger_cost *out) {
  if (memory_bytes < sizeof(struct cost_memory)) return false;
  struct cost_memory *m = (struct cost_memory *)memory;
  make_inputs(m->in);

  static struct nestrr_logger flight, stream;
  struct nestrr_config c = {0};
  c.cpu_count = 1;
  c.ring_bytes = LOGGER_COST_RING_BYTES;
  c.tsc_hz = tsc_hz;
  c.description = "logger cost";
  c.mode = NESTRR_MODE_FLIGHT;
  c.memory = m->flight_mem;
  c.memory_bytes = sizeof m->flight_mem;
  if (!nestrr_logger_init(&flight, &c)) return false;
  out->stream_bytes = 0;
  c.mode = NESTRR_MODE_STREAM;
  c.memory = m->stream_mem;
  c.memory_bytes = sizeof m->stream_mem;
  c.write = count_bytes;
  c.write_ctx = &out->stream_bytes;
  if (!nestrr_logger_init(&stream, &c)) return false;

  /* Warm both loggers' rings and the code once before measuring. */
  logger_loop(m, &flight, false);
  out->bare = bare_loop(m);
  out->flight = logger_loop(m, &flight, false);
  out->stream = logger_loop(m, &stream, true);
  out->stream_dropped = nestrr_logger_dropped(&stream, 0);
  return true;
}
