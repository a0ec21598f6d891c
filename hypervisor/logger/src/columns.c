/* VM exits in columns (format 4, Packet.exits; the rules are in
 * proto/nestrr.proto, ExitColumns): per exit one head byte, one dt, and
 * literals only where the head says. The chunk's move-to-front lists of
 * reasons and RIPs start empty in every packet, so each one decodes alone.
 * Also the order runs that interleave exits with the chunk's Records.
 * Adding an exit is inline in the drain (columns_add.h); here the sizes
 * and the assembly of the packet's fields. */
#include "columns_add.h"


static const uint32_t col_tags[5] = {
    NESTRR_T_EXIT_COLUMNS_HEAD, NESTRR_T_EXIT_COLUMNS_DT, NESTRR_T_EXIT_COLUMNS_REASON,
    NESTRR_T_EXIT_COLUMNS_RIP, NESTRR_T_EXIT_COLUMNS_QUALIFICATION};

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


void nestrr_order_note(struct nestrr_scratch *sc, struct nestrr_chunk *ch, bool exit) {
  if (exit != ch->run_exits) {
    put_varint(sc->order, &ch->order_len, ch->run); /* 0 only for a chunk that starts with a Record */
    ch->run_exits = exit;
    ch->run = 0;
  }
  ch->run++;
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
