/* Per-CPU ring: reservation, commit, and the flight recorder's overwrite.
 *
 * Why this is safe against an NMI on the same CPU (and against producers on
 * other CPUs, which the dump uses to append a RecordsLost):
 *
 * - Reservation is one CAS on a 64-bit word {head, seq}. Whoever wins owns
 *   [head, head + size) and that seq; an NMI that lands anywhere inside
 *   another log call just wins the next CAS, and the interrupted call retries
 *   with the new word. Head and seq move together, so slots in ring order
 *   have consecutive seq numbers (PAD slots take none), and dropped records
 *   take none either.
 * - A slot is written payload first, header next, and `commit = ~pos` last
 *   with release order. The consumer reads `commit` with acquire order and
 *   stops at the first slot where it is not ~pos: an interrupted outer log
 *   call whose NMI-nested successors were committed first wait behind it.
 *   Storing ~pos instead of a flag (the first design had a u16 committed
 *   flag) removes a flaw: a header from an earlier lap at the same offset,
 *   with its flag still set, would have looked committed to a reader that
 *   arrives between a new reservation and its first store. With ~pos it
 *   cannot match (until positions wrap at 4 GiB, far beyond any ring).
 * - Stream mode: only the consumer moves `tail` (release, after the frames
 *   are written), producers read it (acquire) before reusing bytes.
 * - Flight mode: a producer that finds the ring full frees the oldest slot
 *   by CAS on tail, but only if that slot is committed; an uncommitted slot
 *   at the tail is a log call still in progress, and then the new record is
 *   dropped instead. The tail word is {position, overwritten records}: the
 *   CAS that frees a slot also counts it, with no second atomic operation
 *   (refused records count in `dropped`, nestrr_ring_dropped adds both).
 *   A reader (dump) copies a slot and then re-reads tail: a producer moves
 *   tail past a slot (a locked CAS, a full barrier on x86) before it writes
 *   a byte over it, so if tail has not passed the slot after the copy, the
 *   copy is whole (seqlock). On x86 (TSO) plain stores by the producer and
 *   relaxed loads by the reader keep this order.
 * - 64-bit CAS on i386 is cmpxchg8b (arch.h; -march=i686 or later). The
 *   64-bit word is never loaded with a 64-bit atomic load on i386 (gcc would
 *   use x87 or SSE for it): nestrr_ring_snapshot reads seq, head, seq and
 *   retries until seq is stable; every successful CAS changes seq. */
#include "ring_fast.h"

#define ACQ __ATOMIC_ACQUIRE
#define REL __ATOMIC_RELEASE
#define RLX __ATOMIC_RELAXED

union nestrr_ring_ctl nestrr_ring_snapshot(const struct nestrr_ring *r) {
  return nestrr_ring_load_ctl(r);
}

bool nestrr_ring_init(struct nestrr_ring *r, void *data, uint32_t bytes, enum nestrr_ring_mode mode) {
  if (bytes < NESTRR_RING_MIN_BYTES || (bytes & (bytes - 1u)) != 0) return false;
  if (((uintptr_t)data & 7u) != 0) return false;
  r->ctl.word = 0;
  r->tail.word = 0;
  r->consumer_busy = 0;
  r->dropped = 0;
  r->reported = 0;
  r->mode = (uint32_t)mode;
  r->mask = bytes - 1u;
  r->next_seq64 = 0;
  r->data = (unsigned char *)data;
  /* Position 0 must not look committed: ~0 is never a slot's commit word
   * elsewhere, but clear the first header anyway. */
  nestrr_ring_slot_at(r, 0)->commit = 0;
  return true;
}

/* Flight mode: frees the oldest committed slots until `need` bytes past
 * `head` fit. False if the oldest slot is still being written. */
static bool make_room(struct nestrr_ring *r, uint32_t head, uint32_t need) {
  for (;;) {
    int f = nestrr_ring_free_oldest(r, head, need, nestrr_ring_load_tail(r), false);
    if (f >= 0) return f != 0;
  }
}

/* The general case: a PAD slot at the ring end, a full ring, a lost race
 * with a nested or remote producer. */
struct nestrr_slot_hdr *nestrr_ring_reserve_slow(struct nestrr_ring *r, uint32_t bytes,
                                                 uint16_t kind) {
  uint32_t ring_bytes = r->mask + 1u;
  union nestrr_ring_ctl cur = nestrr_ring_snapshot(r);
  union nestrr_ring_ctl next;
  uint32_t head, pad, tail;
  if (bytes > NESTRR_SLOT_MAX) {
    __atomic_fetch_add(&r->dropped, 1u, RLX);
    return 0;
  }
  for (;;) {
    head = cur.half[0];
    pad = ring_bytes - (head & r->mask);
    if (pad >= bytes) pad = 0;
    tail = __atomic_load_n(&r->tail.half[0], ACQ);
    if ((int32_t)(head - tail) < 0) { /* head older than tail: reload */
      cur = nestrr_ring_snapshot(r);
      continue;
    }
    if (head - tail + pad + bytes > ring_bytes) {
      if (r->mode != NESTRR_MODE_FLIGHT || !make_room(r, head, pad + bytes)) {
        union nestrr_ring_ctl now = nestrr_ring_snapshot(r);
        if (now.half[1] != cur.half[1]) { /* someone reserved meanwhile: retry */
          cur = now;
          continue;
        }
        __atomic_fetch_add(&r->dropped, 1u, RLX);
        return 0;
      }
      cur = nestrr_ring_snapshot(r);
      continue;
    }
    next.half[0] = head + pad + bytes;
    next.half[1] = cur.half[1] + 1u;
    if (nestrr_cas64(&r->ctl.word, &cur.word, next.word)) break;
    /* A failed CAS left the current word in `cur` (cmpxchg8b on i386). */
  }
  if (pad) {
    struct nestrr_slot_hdr *p = nestrr_ring_slot_at(r, head);
    /* Only the first 8 bytes: the gap may be that small. */
    p->size = (uint16_t)pad;
    p->kind = NESTRR_SLOT_PAD;
    __atomic_store_n(&p->commit, ~head, REL);
  }
  return nestrr_ring_stamp(r, head + pad, bytes, kind, cur.half[1]);
}

struct nestrr_slot_hdr *nestrr_ring_reserve(struct nestrr_ring *r, uint32_t payload_bytes,
                                            uint16_t kind) {
  return nestrr_ring_reserve_inline(r, payload_bytes, kind, false);
}

void nestrr_ring_commit(struct nestrr_ring *r, struct nestrr_slot_hdr *s) {
  (void)r;
  __atomic_store_n(&s->commit, ~s->commit, REL);
}
