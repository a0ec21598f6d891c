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

/* Position of v in the list, or NESTRR_MTF. */
static uint32_t find32(const uint32_t *list, uint32_t n, uint32_t v) {
  uint32_t i;
  for (i = 0; i < n; i++)
    if (list[i] == v) return i;
  return NESTRR_MTF;
}
static uint32_t find64(const uint64_t *list, uint32_t n, uint64_t v) {
  uint32_t i;
  for (i = 0; i < n; i++)
    if (list[i] == v) return i;
  return NESTRR_MTF;
}

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
  uint32_t need = 1u + vsz(dt) + (r == NESTRR_MTF ? vsz(e->reason) : 0u) +
                  (p == NESTRR_MTF ? vsz(rip) : 0u) + (qual_same ? 0u : vsz(qual));
  uint32_t i, k;
  /* The order runs grow by a finished run and a digit at most; each of
   * the seven length prefixes (five columns, exits, order) by a byte at
   * most; the first exit adds the two fields' tags and lengths. */
  need += 6u + 7u + (x->count == 0 ? 4u : 0u);
  if (need > room) return false;
  sc->col[COL_HEAD][x->len[COL_HEAD]++] =
      (unsigned char)((e->from_l2 ? 1u : 0u) | (qual_same ? 2u : 0u) | (r << 2) | (p << 5));
  put_varint(sc->col[COL_DT], &x->len[COL_DT], dt);
  if (r == NESTRR_MTF) put_varint(sc->col[COL_REASON], &x->len[COL_REASON], e->reason);
  if (p == NESTRR_MTF) put_varint(sc->col[COL_RIP], &x->len[COL_RIP], rip);
  if (!qual_same) put_varint(sc->col[COL_QUAL], &x->len[COL_QUAL], qual);
  /* Move to front: the reason with its qualification, the RIP. */
  k = r < NESTRR_MTF ? r : (x->nreasons < NESTRR_MTF ? x->nreasons++ : NESTRR_MTF - 1u);
  for (i = k; i > 0; i--) {
    x->reasons[i] = x->reasons[i - 1];
    x->quals[i] = x->quals[i - 1];
  }
  x->reasons[0] = e->reason;
  x->quals[0] = e->qualification;
  k = p < NESTRR_MTF ? p : (x->nrips < NESTRR_MTF ? x->nrips++ : NESTRR_MTF - 1u);
  for (i = k; i > 0; i--) x->rips[i] = x->rips[i - 1];
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
