/* Flight recorder dump: every CPU's ring, oldest record first, while other
 * CPUs may still be logging (and overwriting). Each slot is copied out and
 * kept only if the tail did not pass it during the copy (see ring.c); a
 * slot overwritten under the dump is skipped, and the records lost that
 * way show as a gap in sequence numbers and in Trailer.dropped. */
#include "internal.h"

/* Copies one slot at `p` into `dst` if it is whole; returns its size, 0 if
 * it is not committed yet (stop), or -1 if it was overwritten (skip to the
 * new tail). */
static int32_t copy_slot(const struct nestrr_ring *r, uint32_t p, uint32_t head, uint64_t *dst) {
  const struct nestrr_slot_hdr *s = nestrr_ring_slot_at(r, p);
  const uint32_t *src = (const uint32_t *)(const void *)s;
  uint32_t *out = (uint32_t *)(void *)dst;
  uint32_t size, i, tail;
  bool committed = __atomic_load_n(&s->commit, __ATOMIC_ACQUIRE) == ~p;
  size = __atomic_load_n(&s->size, __ATOMIC_RELAXED);
  if (committed && nestrr_slot_size_ok(size, __atomic_load_n(&s->kind, __ATOMIC_RELAXED)) &&
      (p & r->mask) + size <= r->mask + 1u && (int32_t)(head - p - size) >= 0) {
    for (i = 0; i < size / 4u; i++) out[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
  } else {
    committed = false;
  }
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  tail = __atomic_load_n(&r->tail.half[0], __ATOMIC_RELAXED);
  if ((int32_t)(p - tail) < 0) return -1;
  if (!committed) return 0;
  if (((const struct nestrr_slot_hdr *)(const void *)dst)->commit != ~p) return -1;
  return (int32_t)size;
}

static void dump_cpu(struct nestrr_logger *lg, uint32_t cpu, struct nestrr_scratch *sc) {
  struct nestrr_ring *r = &lg->cpus[cpu].ring;
  struct nestrr_chunk ch;
  uint32_t lost = nestrr_ring_dropped(r) - r->reported;
  uint32_t head, p;
  /* Overwrites since the previous dump become a RecordsLost record at the
   * newest end (appending may overwrite one more: the next dump says so). */
  if (lost && nestrr_log_records_lost(lg, cpu, lost)) r->reported += lost;
  head = nestrr_ring_snapshot(r).half[0];
  nestrr_seq_refresh(r);
  nestrr_chunk_init(&ch, cpu);
  p = __atomic_load_n(&r->tail.half[0], __ATOMIC_ACQUIRE);
  while ((int32_t)(head - p) > 0) {
    int32_t got = copy_slot(r, p, head, sc->slot);
    const struct nestrr_slot_hdr *s = (const struct nestrr_slot_hdr *)(const void *)sc->slot;
    if (got == 0) break;
    if (got < 0) {
      p = __atomic_load_n(&r->tail.half[0], __ATOMIC_ACQUIRE);
      continue;
    }
    if (s->kind != NESTRR_SLOT_PAD) (void)nestrr_chunk_add(lg, sc, &ch, s, nestrr_seq_extend(r, s->seq));
    p += (uint32_t)got;
  }
  nestrr_chunk_flush(lg, sc, &ch);
  nestrr_emit_trailer(lg, sc, cpu, nestrr_seq_refresh(r), nestrr_ring_dropped(r));
}

void nestrr_logger_dump(struct nestrr_logger *lg) {
  uint32_t cpu;
  if (lg->mode != NESTRR_MODE_FLIGHT) {
    nestrr_logger_finish(lg);
    return;
  }
  if (!nestrr_try_lock(&lg->dump_busy)) return;
  nestrr_emit_header(lg, &lg->dump_scratch, NESTRR_HEADER_SINK_FLIGHT_RECORDER);
  for (cpu = 0; cpu < lg->cpu_count; cpu++) dump_cpu(lg, cpu, &lg->dump_scratch);
  nestrr_emit_keyframes(lg, &lg->dump_scratch); /* after: each ring's seq is fresh */
  nestrr_unlock(&lg->dump_busy);
}
