/* The ring's reservation fast path, inline in every log call (log.c): the
 * common cases of nestrr_ring_reserve without a call, the rest in
 * nestrr_ring_reserve_slow (ring.c). Same protocol as described in ring.c:
 * one CAS on {head, seq} wins a slot; in flight mode a full ring first
 * frees its oldest committed slot by CAS on tail. */
#ifndef NESTRR_RING_FAST_H
#define NESTRR_RING_FAST_H

#include "arch.h"
#include "nestrr/ring.h"

/* Everything nestrr_ring_reserve does, for `bytes` (header included,
 * rounded to 8); any case the inline path does not take. */
struct nestrr_slot_hdr *nestrr_ring_reserve_slow(struct nestrr_ring *r, uint32_t bytes,
                                                 uint16_t kind);

/* nestrr_ring_snapshot without the call (see ring.c for the i386 case). */
static inline __attribute__((always_inline)) union nestrr_ring_ctl nestrr_ring_load_ctl(
    const struct nestrr_ring *r) {
  union nestrr_ring_ctl c;
#if UINTPTR_MAX == 0xffffffffu
  for (;;) {
    uint32_t s1 = __atomic_load_n(&r->ctl.half[1], __ATOMIC_ACQUIRE);
    uint32_t h = __atomic_load_n(&r->ctl.half[0], __ATOMIC_ACQUIRE);
    uint32_t s2 = __atomic_load_n(&r->ctl.half[1], __ATOMIC_ACQUIRE);
    if (s1 == s2) {
      c.half[0] = h;
      c.half[1] = s1;
      return c;
    }
  }
#else
  c.word = __atomic_load_n(&r->ctl.word, __ATOMIC_ACQUIRE);
  return c;
#endif
}

/* Writes the header of a slot won at `pos` (commit last = still open). */
static inline __attribute__((always_inline)) struct nestrr_slot_hdr *nestrr_ring_stamp(
    struct nestrr_ring *r, uint32_t pos, uint32_t bytes, uint16_t kind, uint32_t seq) {
  struct nestrr_slot_hdr *s = nestrr_ring_slot_at(r, pos);
  /* `commit` keeps the position until commit turns it into ~pos; the
   * reserved value (pos itself) never equals ~pos. */
  __atomic_store_n(&s->commit, pos, __ATOMIC_RELAXED);
  s->size = (uint16_t)bytes;
  s->kind = kind;
  s->flags = 0;
  s->seq = seq;
  return s;
}

/* The tail word for a CAS on it. On i386 the halves are read one at a
 * time: a torn value only makes the CAS fail (it returns the real one). */
static inline __attribute__((always_inline)) union nestrr_ring_ctl nestrr_ring_load_tail(
    const struct nestrr_ring *r) {
  union nestrr_ring_ctl c;
#if UINTPTR_MAX == 0xffffffffu
  c.half[0] = __atomic_load_n(&r->tail.half[0], __ATOMIC_ACQUIRE);
  c.half[1] = __atomic_load_n(&r->tail.half[1], __ATOMIC_RELAXED);
#else
  c.word = __atomic_load_n(&r->tail.word, __ATOMIC_ACQUIRE);
#endif
  return c;
}

/* With `batch`, a full flight ring frees at least this share of itself at
 * once (1/16), so that its locked CAS on tail comes once per batch of
 * records rather than once per record; the oldest records go a little
 * earlier than they must. */
#define NESTRR_FLIGHT_FREE_SHIFT 4u

/* Flight mode, one step of making `need` bytes past `head` fit, given the
 * tail word `tw` just read: 1 = they fit (or head is stale: the caller
 * rereads and retries), 0 = the oldest slot is still being written (the
 * record is dropped), -1 = freed slots or lost a race: read tail and call
 * again. The oldest committed slots are freed together, what `need` asks
 * or (with `batch`) the batch above if more, and counted as overwritten in
 * the same CAS. Slots past the oldest are read before the CAS like the
 * oldest: a producer that freed any of them first moved tail, and then
 * this CAS fails. */
static inline __attribute__((always_inline)) int nestrr_ring_free_oldest(
    struct nestrr_ring *r, uint32_t head, uint32_t need, union nestrr_ring_ctl tw, bool batch) {
  const uint32_t t = tw.half[0];
  const uint32_t ring_bytes = r->mask + 1u;
  uint32_t want, p = t, records = 0;
  if ((int32_t)(head - t) < 0) return 1;
  if (head - t + need <= ring_bytes) return 1;
  want = head - t + need - ring_bytes;
  if (batch && want < (ring_bytes >> NESTRR_FLIGHT_FREE_SHIFT)) want = ring_bytes >> NESTRR_FLIGHT_FREE_SHIFT;
  while (p - t < want && (int32_t)(head - p) > 0) {
    struct nestrr_slot_hdr *s = nestrr_ring_slot_at(r, p);
    uint32_t size;
    uint16_t kind;
    if (__atomic_load_n(&s->commit, __ATOMIC_ACQUIRE) != ~p) break;
    size = __atomic_load_n(&s->size, __ATOMIC_RELAXED);
    /* A PAD slot at the ring end may be 8 bytes: only size, kind, commit. */
    kind = __atomic_load_n(&s->kind, __ATOMIC_RELAXED);
    if (!nestrr_slot_size_ok(size, kind)) {
      if (p != t) break; /* free the slots read whole before it */
      /* Overwritten under us (tail moved: look again) or corrupt (give up). */
      return __atomic_load_n(&r->tail.half[0], __ATOMIC_ACQUIRE) == t ? 0 : -1;
    }
    records += kind != NESTRR_SLOT_PAD ? 1u : 0u;
    p += size;
  }
  if (p == t) return 0;
  (void)nestrr_cas64(&r->tail.word, &tw.word,
                     ((uint64_t)(tw.half[1] + records) << 32) | (uint32_t)p);
  return -1;
}

/* Reserves a slot: the slot needs no PAD before it and fits (stream) or
 * fits once the oldest slots are freed (flight; `batch` as above), and no
 * other producer wins the CAS in between; otherwise the slow path. */
static inline __attribute__((always_inline)) struct nestrr_slot_hdr *nestrr_ring_reserve_inline(
    struct nestrr_ring *r, uint32_t payload_bytes, uint16_t kind, bool batch) {
  const uint32_t bytes =
      (uint32_t)((sizeof(struct nestrr_slot_hdr) + payload_bytes + 7u) & ~7u);
  const uint32_t ring_bytes = r->mask + 1u;
  union nestrr_ring_ctl cur = nestrr_ring_load_ctl(r);
  const uint32_t head = cur.half[0];
  if (bytes <= NESTRR_SLOT_MAX && (head & r->mask) + bytes <= ring_bytes) {
    uint32_t tail = __atomic_load_n(&r->tail.half[0], __ATOMIC_ACQUIRE);
    if (head - tail + bytes > ring_bytes && (int32_t)(head - tail) >= 0 &&
        r->mode == NESTRR_MODE_FLIGHT &&
        nestrr_ring_free_oldest(r, head, bytes, nestrr_ring_load_tail(r), batch) < 0)
      tail = __atomic_load_n(&r->tail.half[0], __ATOMIC_ACQUIRE);
    if ((int32_t)(head - tail) >= 0 && head - tail + bytes <= ring_bytes) {
      /* {head + bytes, seq + 1}, without a carry from head into seq. */
      const uint64_t next =
          ((uint64_t)(cur.half[1] + 1u) << 32) | (uint32_t)(head + bytes);
      if (nestrr_cas64(&r->ctl.word, &cur.word, next))
        return nestrr_ring_stamp(r, head, bytes, kind, cur.half[1]);
    }
  }
  return nestrr_ring_reserve_slow(r, bytes, kind);
}

#endif /* NESTRR_RING_FAST_H */
