/* Stream sink: the consumer that turns a CPU's committed slots into frames,
 * and finish. The consumer owns the ring tail; it advances it after each
 * frame is written, so slots are reused only once they are on the wire. */
#include "arch.h"
#include "internal.h"

uint64_t nestrr_seq_refresh(struct nestrr_ring *r) {
  uint32_t s32 = nestrr_ring_snapshot(r).half[1];
  r->next_seq64 += (uint32_t)(s32 - (uint32_t)r->next_seq64);
  return r->next_seq64;
}

/* Encodes committed slots from tail up to the head seen at the start (a
 * bound, so a busy producer cannot keep the consumer here forever). */
static void drain_ring(struct nestrr_logger *lg, uint32_t cpu) {
  struct nestrr_cpu_state *st = &lg->cpus[cpu];
  struct nestrr_ring *r = &st->ring;
  struct nestrr_chunk ch;
  uint32_t p = r->tail.half[0];
  uint32_t head = nestrr_ring_snapshot(r).half[0];
  nestrr_seq_refresh(r);
  nestrr_chunk_init(&ch, cpu);
  p = nestrr_chunk_drain(lg, r, &st->scratch, &ch, p, head);
  nestrr_chunk_flush(lg, &st->scratch, &ch);
  __atomic_store_n(&r->tail.half[0], p, __ATOMIC_RELEASE);
}

/* Drains, then reports new drops as a RecordsLost record (which takes a
 * sequence number like any record, so sequence accounting stays exact) and
 * drains that too. Caller holds the consumer lock. */
static void flush_locked(struct nestrr_logger *lg, uint32_t cpu) {
  struct nestrr_ring *r = &lg->cpus[cpu].ring;
  uint32_t lost;
  drain_ring(lg, cpu);
  lost = nestrr_ring_dropped(r) - r->reported;
  if (lost && nestrr_log_records_lost(lg, cpu, lost)) {
    r->reported += lost;
    drain_ring(lg, cpu);
  }
}

void nestrr_logger_flush(struct nestrr_logger *lg, uint32_t cpu) {
  struct nestrr_ring *r;
  if (cpu >= lg->cpu_count || lg->mode != NESTRR_MODE_STREAM) return;
  r = &lg->cpus[cpu].ring;
  if (!nestrr_try_lock(&r->consumer_busy)) return;
  flush_locked(lg, cpu);
  nestrr_unlock(&r->consumer_busy);
}

void nestrr_logger_finish(struct nestrr_logger *lg) {
  uint32_t cpu;
  if (lg->mode != NESTRR_MODE_STREAM) {
    nestrr_logger_dump(lg);
    return;
  }
  for (cpu = 0; cpu < lg->cpu_count; cpu++) {
    struct nestrr_cpu_state *st = &lg->cpus[cpu];
    while (!nestrr_try_lock(&st->ring.consumer_busy)) nestrr_cpu_relax();
    flush_locked(lg, cpu);
    nestrr_emit_trailer(lg, &st->scratch, cpu, nestrr_seq_refresh(&st->ring),
                        nestrr_ring_dropped(&st->ring));
    nestrr_unlock(&st->ring.consumer_busy);
  }
}

uint32_t nestrr_logger_room(const struct nestrr_logger *lg, uint32_t cpu) {
  if (cpu >= lg->cpu_count) return 0;
  const struct nestrr_ring *r = &lg->cpus[cpu].ring;
  for (;;) {
    uint32_t tail = __atomic_load_n(&r->tail.half[0], __ATOMIC_ACQUIRE);
    uint32_t head = __atomic_load_n(&r->ctl.half[0], __ATOMIC_ACQUIRE);
    if ((int32_t)(head - tail) < 0) continue; /* tail moved past our head: reload */
    return head - tail >= lg->ring_bytes ? 0 : lg->ring_bytes - (head - tail);
  }
}

uint32_t nestrr_logger_dropped(const struct nestrr_logger *lg, uint32_t cpu) {
  if (cpu >= lg->cpu_count) return 0;
  return nestrr_ring_dropped(&lg->cpus[cpu].ring);
}
