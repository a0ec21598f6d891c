/* VM exits in columns (format 4, Packet.exits; the rules are in
 * proto/nestrr.proto, ExitColumns): per exit one head byte, one dt, and
 * literals only where the head says. The chunk's move-to-front lists of
 * reasons and RIPs start empty in every packet, so each one decodes alone.
 * Also the order runs that interleave exits with the chunk's Records. */
#include "internal.h"
#include "slots.h"

enum { COL_HEAD, COL_DT, COL_REASON, COL_RIP, COL_QUAL };

static const uint32_t col_tags[5] = {
    NESTRR_T_EXIT_COLUMNS_HEAD, NESTRR_T_EXIT_COLUMNS_DT, NESTRR_T_EXIT_COLUMNS_REASON,
    NESTRR_T_EXIT_COLUMNS_RIP, NESTRR_T_EXIT_COLUMNS_QUALIFICATION};

static uint32_t vsz(uint64_t v) { return nestrr_pb_varint_size(v); }

/* A field of `len` bytes: tag, length, bytes (0 when empty: not written). */
static uint32_t field_size(uint32_t len) { return len ? 1u + vsz(len) + len : 0u; }

static uint32_t exits_body_size(const struct nestrr_exit_cols *x) {
  uint32_t n = 0, i;
  for (i = 0; i < 5; i++) n += field_size(x->len[i]);
  return n;
}

static uint32_t order_body_size(const struct nestrr_chunk *ch) {
  return ch->order_len + vsz(ch->run);
}

uint32_t nestrr_columns_size(const struct nestrr_chunk *ch) {
  if (ch->x.count == 0) return 0;
  return field_size(exits_body_size(&ch->x)) + field_size(order_body_size(ch));
}

/* At least nestrr_columns_size, without a varint size: every length in a
 * packet is below 2^14, so each prefix and the open run take at most 2
 * bytes; 5 column fields, exits and order fields, tag byte each. */
uint32_t nestrr_columns_bound(const struct nestrr_chunk *ch) {
  const struct nestrr_exit_cols *x = &ch->x;
  NESTRR_STATIC_ASSERT(NESTRR_FRAME_MAX_PAYLOAD < (1u << 14), "prefixes fit 2 bytes");
  return x->len[0] + x->len[1] + x->len[2] + x->len[3] + x->len[4] + ch->order_len +
         5u * 3u + 2u * 3u + 2u;
}

static void put_varint(unsigned char *col, uint32_t *len, uint64_t v) {
  while (v >= 0x80u) {
    col[(*len)++] = (unsigned char)((v & 0x7fu) | 0x80u);
    v >>= 7;
  }
  col[(*len)++] = (unsigned char)v;
}

void nestrr_order_note(struct nestrr_scratch *sc, struct nestrr_chunk *ch, bool exit) {
  if (exit != ch->run_exits) {
    put_varint(sc->order, &ch->order_len, ch->run); /* 0 only for a chunk that starts with a Record */
    ch->run_exits = exit;
    ch->run = 0;
  }
  ch->run++;
}

/* Position of v in the list, or NESTRR_MTF. All entries are compared and
 * the first match of the n live ones picked from a bit mask: no branch
 * per entry to mispredict (reasons and RIPs arrive in no pattern the
 * branch predictor could learn). Entries past n hold stale values. */
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

/* Move to front: entries 1..k take their predecessor's value, the rest
 * keep theirs; through masks, as the compiler turns a select back into a
 * branch. */
static inline void shift32(uint32_t *list, uint32_t k) {
  uint32_t i;
#pragma GCC unroll 6
  for (i = NESTRR_MTF - 1u; i > 0; i--) {
    const uint32_t m = 0u - (uint32_t)(i <= k);
    list[i] = (list[i - 1] & m) | (list[i] & ~m);
  }
}
static inline void shift64(uint64_t *list, uint32_t k) {
  uint32_t i;
#pragma GCC unroll 6
  for (i = NESTRR_MTF - 1u; i > 0; i--) {
    const uint64_t m = 0u - (uint64_t)(i <= k);
    list[i] = (list[i - 1] & m) | (list[i] & ~m);
  }
}

/* The most bytes one exit can add to the packet (see nestrr_columns_add):
 * head 1, dt 10, reason 5, RIP 10, qualification 10, order and length
 * prefixes 13, the first exit's field tags and lengths 4. */
#define EXIT_NEED_MAX 53u

bool nestrr_columns_add(struct nestrr_scratch *sc, struct nestrr_chunk *ch,
                        const struct nestrr_slot_hdr *slot, uint32_t room) {
  const struct slot_vm_exit *e = (const struct slot_vm_exit *)(const void *)(slot + 1);
  struct nestrr_exit_cols *x = &ch->x;
  const uint32_t r = find32(x->reasons, x->nreasons, e->reason);
  const uint32_t p = find64(x->rips, x->nrips, e->guest_rip);
  const uint64_t last_qual = r < NESTRR_MTF ? x->quals[r] : 0;
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
  /* Move to front: the reason with its qualification, the RIP. */
  k = r < NESTRR_MTF ? r : (x->nreasons < NESTRR_MTF ? x->nreasons++ : NESTRR_MTF - 1u);
  shift32(x->reasons, k);
  shift64(x->quals, k);
  x->reasons[0] = e->reason;
  x->quals[0] = e->qualification;
  k = p < NESTRR_MTF ? p : (x->nrips < NESTRR_MTF ? x->nrips++ : NESTRR_MTF - 1u);
  shift64(x->rips, k);
  x->rips[0] = e->guest_rip;
  x->count++;
  nestrr_order_note(sc, ch, true);
  return true;
}

bool nestrr_columns_write(struct nestrr_pb_out *o, const struct nestrr_scratch *sc,
                          const struct nestrr_chunk *ch) {
  const struct nestrr_exit_cols *x = &ch->x;
  uint32_t i;
  if (x->count == 0) return true;
  if (!nestrr_pb_tag(o, NESTRR_T_PACKET_EXITS) || !nestrr_pb_varint(o, exits_body_size(x)))
    return false;
  for (i = 0; i < 5; i++)
    if (x->len[i] && (!nestrr_pb_tag(o, col_tags[i]) || !nestrr_pb_varint(o, x->len[i]) ||
                      !nestrr_pb_bytes(o, sc->col[i], x->len[i])))
      return false;
  return nestrr_pb_tag(o, NESTRR_T_PACKET_ORDER) &&
         nestrr_pb_varint(o, order_body_size(ch)) &&
         nestrr_pb_bytes(o, sc->order, ch->order_len) && nestrr_pb_varint(o, ch->run);
}
