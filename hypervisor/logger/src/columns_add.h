/* Adding one VM exit to a chunk's columns (format 4, ExitColumns): inline
 * in the drain's per-record path (chunk.c). See columns.c for the rest. */
#ifndef NESTRR_COLUMNS_ADD_H
#define NESTRR_COLUMNS_ADD_H

#include "internal.h"
#include "slots.h"

enum { COL_HEAD, COL_DT, COL_REASON, COL_RIP, COL_QUAL };

static inline uint32_t vsz(uint64_t v) { return nestrr_pb_varint_size(v); }

/* Appends v as a varint at col[*len]: the length is kept in a register
 * and stored once. */
static inline __attribute__((always_inline)) void put_varint(unsigned char *col, uint32_t *len,
                                                             uint64_t v) {
  uint32_t n = *len;
  while (v >= 0x80u) {
    col[n++] = (unsigned char)((v & 0x7fu) | 0x80u);
    v >>= 7;
  }
  col[n++] = (unsigned char)v;
  *len = n;
}

/* Slot of v among the n live slots, or NESTRR_MTF. All slots are
 * compared and the match picked from a bit mask: no branch per entry to
 * mispredict (reasons and RIPs arrive in no pattern the branch predictor
 * could learn). Slots past n hold stale values. */
static inline uint32_t first_of(uint32_t m, uint32_t n) {
  m &= (1u << n) - 1u;
  return m ? (uint32_t)__builtin_ctz(m) : NESTRR_MTF;
}
static inline uint32_t find32(const uint32_t *list, uint32_t n, uint32_t v) {
  uint32_t i, m = 0;
#pragma GCC unroll 7
  for (i = 0; i < NESTRR_MTF; i++) m |= (uint32_t)(list[i] == v) << i;
  return first_of(m, n);
}
static inline uint32_t find64(const uint64_t *list, uint32_t n, uint64_t v) {
  uint32_t i, m = 0;
#pragma GCC unroll 7
  for (i = 0; i < NESTRR_MTF; i++) m |= (uint32_t)(list[i] == v) << i;
  return first_of(m, n);
}

/* The move-to-front index of slot s: how many entries were used later. */
static inline uint32_t rank_of(const uint32_t *stamp, uint32_t s) {
  const uint32_t mine = stamp[s];
  uint32_t i, r = 0;
#pragma GCC unroll 7
  for (i = 0; i < NESTRR_MTF; i++) r += (uint32_t)(stamp[i] > mine);
  return r;
}

/* The slot a new entry takes: the next free one, or when the list is full
 * the least recently used (the entry a shifting list would drop). */
static inline uint32_t slot_for_new(const uint32_t *stamp, uint32_t *n) {
  uint32_t i, s = 0;
  if (*n < NESTRR_MTF) return (*n)++;
  for (i = 1; i < NESTRR_MTF; i++) s = stamp[i] < stamp[s] ? i : s;
  return s;
}

/* The most bytes one exit can add to the packet (see nestrr_columns_add):
 * head 1, dt 10, reason 5, RIP 10, qualification 10, order and length
 * prefixes 13, the first exit's field tags and lengths 4. */
#define EXIT_NEED_MAX 53u

static inline __attribute__((always_inline)) bool nestrr_columns_add(
    struct nestrr_scratch *sc, struct nestrr_chunk *ch, const struct nestrr_slot_hdr *slot,
    uint32_t room) {
  const struct slot_vm_exit *e = (const struct slot_vm_exit *)(const void *)(slot + 1);
  struct nestrr_exit_cols *x = &ch->x;
  const uint32_t rs = find32(x->reasons, x->nreasons, e->reason); /* slots */
  const uint32_t ps = find64(x->rips, x->nrips, e->guest_rip);
  const uint32_t r = rs < NESTRR_MTF ? rank_of(x->rstamp, rs) : NESTRR_MTF; /* indexes */
  const uint32_t p = ps < NESTRR_MTF ? rank_of(x->pstamp, ps) : NESTRR_MTF;
  const uint64_t last_qual = rs < NESTRR_MTF ? x->quals[rs] : 0;
  const uint64_t dt = nestrr_pb_zigzag(ch->dt);
  const uint64_t rip = nestrr_pb_zigzag((int64_t)(e->guest_rip - ch->prev_rip));
  const uint64_t qual = nestrr_pb_zigzag((int64_t)(e->qualification - last_qual));
  const bool qual_same = e->qualification == last_qual;
  uint32_t k;
  if (room < EXIT_NEED_MAX) { /* near the end of the packet: the exact size decides */
    uint32_t need = 1u + vsz(dt) + (r == NESTRR_MTF ? vsz(e->reason) : 0u) +
                    (p == NESTRR_MTF ? vsz(rip) : 0u) + (qual_same ? 0u : vsz(qual));
    /* The order runs grow by a finished run and a digit at most; each of
     * the seven length prefixes (five columns, exits, order) by a byte at
     * most; the first exit adds the two fields' tags and lengths. */
    need += 6u + 7u + (x->count == 0 ? 4u : 0u);
    if (need > room) return false;
  }
  sc->col[COL_HEAD][x->len[COL_HEAD]++] =
      (unsigned char)((e->from_l2 ? 1u : 0u) | (qual_same ? 2u : 0u) | (r << 2) | (p << 5));
  put_varint(sc->col[COL_DT], &x->len[COL_DT], dt);
  if (r == NESTRR_MTF) put_varint(sc->col[COL_REASON], &x->len[COL_REASON], e->reason);
  if (p == NESTRR_MTF) put_varint(sc->col[COL_RIP], &x->len[COL_RIP], rip);
  if (!qual_same) put_varint(sc->col[COL_QUAL], &x->len[COL_QUAL], qual);
  /* Move to front: the reason (with its qualification) and the RIP get
   * the newest stamp, in their slot or in the one a new entry takes. */
  k = rs < NESTRR_MTF ? rs : slot_for_new(x->rstamp, &x->nreasons);
  x->reasons[k] = e->reason;
  x->quals[k] = e->qualification;
  x->rstamp[k] = ++x->clock;
  k = ps < NESTRR_MTF ? ps : slot_for_new(x->pstamp, &x->nrips);
  x->rips[k] = e->guest_rip;
  x->pstamp[k] = x->clock;
  x->count++;
  if (!ch->run_exits) nestrr_order_note(sc, ch, true);
  else ch->run++;
  return true;
}

#endif /* NESTRR_COLUMNS_ADD_H */
