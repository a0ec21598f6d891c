/* Chunks: consecutive records of one CPU packed into one Packet that fits a
 * frame. A record that does not fit, or does not follow in sequence (the
 * dump skipped overwritten slots), starts the next chunk. VM exits go to
 * the exit columns (columns.c), other records to Packet.record (record.c);
 * the flush assembles the packet from the pieces. */
#include "internal.h"

void nestrr_chunk_init(struct nestrr_chunk *ch, uint32_t cpu) {
  nestrr_pb_sizer(&ch->out);
  ch->cpu = cpu;
  ch->count = 0;
  ch->flushes = 0;
  ch->shift = 0;
  ch->head_len = 0;
  ch->next_seq = 0;
  ch->prev_tsc = 0;
  ch->dt = 0;
  ch->prev_rip = 0;
}

static bool start(struct nestrr_logger *lg, struct nestrr_scratch *sc, struct nestrr_chunk *ch,
                  const struct nestrr_slot_hdr *slot, uint64_t seq) {
  uint32_t i;
  struct nestrr_pb_out sizer;
  nestrr_pb_init(&ch->out, sc->records, NESTRR_FRAME_MAX_PAYLOAD);
  ch->count = 0;
  ch->next_seq = seq;
  ch->tsc_base = slot->tsc;
  ch->prev_tsc = slot->tsc;
  ch->prev_rip = 0;
  ch->shift = lg->config.dt_shift;
  for (i = 0; i < 5; i++) ch->x.len[i] = 0;
  ch->x.count = 0;
  ch->x.nreasons = 0;
  ch->x.nrips = 0;
  ch->order_len = 0;
  ch->run = 0;
  ch->run_exits = true;
  /* cpu is written even when 0: it is what marks a packet as a chunk. */
  nestrr_pb_sizer(&sizer);
  if (!nestrr_pb_uint(&sizer, NESTRR_T_PACKET_CPU, ch->cpu) ||
      !nestrr_pb_uint_nz(&sizer, NESTRR_T_PACKET_FIRST_SEQ, seq) ||
      !nestrr_pb_uint_nz(&sizer, NESTRR_T_PACKET_TSC_BASE, slot->tsc) ||
      !nestrr_pb_uint_nz(&sizer, NESTRR_T_PACKET_DT_SHIFT, ch->shift))
    return false;
  ch->head_len = sizer.len;
  return true;
}

/* The packet's bytes so far: its head, its Records, its columns. */
static uint32_t packet_size(const struct nestrr_chunk *ch) {
  return ch->head_len + ch->out.len + nestrr_columns_size(ch);
}

static bool assemble(struct nestrr_scratch *sc, const struct nestrr_chunk *ch,
                     struct nestrr_pb_out *o) {
  nestrr_pb_init(o, sc->payload, NESTRR_FRAME_MAX_PAYLOAD);
  return nestrr_pb_uint(o, NESTRR_T_PACKET_CPU, ch->cpu) &&
         nestrr_pb_uint_nz(o, NESTRR_T_PACKET_FIRST_SEQ, ch->next_seq - ch->count) &&
         nestrr_pb_uint_nz(o, NESTRR_T_PACKET_TSC_BASE, ch->tsc_base) &&
         nestrr_pb_uint_nz(o, NESTRR_T_PACKET_DT_SHIFT, ch->shift) &&
         nestrr_pb_bytes(o, sc->records, ch->out.len) && nestrr_columns_write(o, sc, ch);
}

void nestrr_chunk_flush(struct nestrr_logger *lg, struct nestrr_scratch *sc,
                        struct nestrr_chunk *ch) {
  struct nestrr_pb_out o;
  if (ch->count && ch->out.ok && assemble(sc, ch, &o)) {
    uint32_t every = lg->config.header_every_frames;
    nestrr_emit_payload(lg, sc, o.len);
    ch->flushes++;
    /* The payload is out: the scratch is free for a repeated Header. */
    if (every && lg->mode == NESTRR_MODE_STREAM &&
        __atomic_add_fetch(&lg->frames_since_header, 1u, __ATOMIC_RELAXED) % every == 0)
      nestrr_emit_header(lg, sc, NESTRR_HEADER_SINK_STREAM);
  }
  ch->count = 0;
}

/* The slot's TSC as a delta to the last record's, in units of 2^shift
 * ticks, rounded; prev_tsc moves to what a reader will reconstruct, so
 * errors do not add up. */
static void stamp(struct nestrr_chunk *ch, const struct nestrr_slot_hdr *slot) {
  int64_t delta = (int64_t)(slot->tsc - ch->prev_tsc);
  int64_t units = ch->shift ? (delta + ((int64_t)1 << (ch->shift - 1u))) >> ch->shift : delta;
  ch->dt = units;
  ch->prev_tsc += (uint64_t)units << ch->shift;
}

/* Appends the record if it fits the packet; else leaves the chunk as it
 * was. One pass, no sizing. */
static bool append(struct nestrr_logger *lg, struct nestrr_scratch *sc, struct nestrr_chunk *ch,
                   const struct nestrr_slot_hdr *slot) {
  const uint64_t prev_tsc = ch->prev_tsc;
  const uint32_t used = packet_size(ch);
  const uint32_t room = used < NESTRR_FRAME_MAX_PAYLOAD ? NESTRR_FRAME_MAX_PAYLOAD - used : 0u;
  stamp(ch, slot);
  if (slot->kind == NESTRR_F_RECORD_VM_EXIT && !lg->config.records_only) {
    if (nestrr_columns_add(sc, ch, slot, room)) return true;
  } else {
    /* The order runs may grow by a finished run (5 bytes) and the order
     * and exits prefixes by one each: keep that much room. */
    const uint32_t len = ch->out.len;
    const uint32_t reserve = ch->x.count ? 7u : 0u;
    if (room > reserve) {
      ch->out.cap = len + room - reserve;
      if (nestrr_encode_record(&ch->out, slot, ch)) {
        ch->out.cap = NESTRR_FRAME_MAX_PAYLOAD;
        nestrr_order_note(sc, ch, false);
        return true;
      }
    }
    ch->out.len = len;
    ch->out.ok = true;
    ch->out.cap = NESTRR_FRAME_MAX_PAYLOAD;
  }
  ch->prev_tsc = prev_tsc;
  return false;
}

bool nestrr_chunk_add(struct nestrr_logger *lg, struct nestrr_scratch *sc, struct nestrr_chunk *ch,
                      const struct nestrr_slot_hdr *slot, uint64_t seq) {
  if (ch->count && seq != ch->next_seq) nestrr_chunk_flush(lg, sc, ch);
  if (ch->count == 0 && !start(lg, sc, ch, slot, seq)) return false;
  if (!append(lg, sc, ch, slot)) {
    if (ch->count == 0) return false; /* too big for any frame: cannot happen (slots.h) */
    nestrr_chunk_flush(lg, sc, ch);
    if (!start(lg, sc, ch, slot, seq) || !append(lg, sc, ch, slot)) {
      ch->count = 0;
      return false;
    }
  }
  if (slot->kind == NESTRR_F_RECORD_VM_EXIT) {
    /* struct slot_vm_exit: guest_rip after reason, from_l2, qualification. */
    const uint64_t *words = (const uint64_t *)(const void *)(slot + 1);
    ch->prev_rip = words[2];
  }
  ch->next_seq = seq + 1u;
  ch->count++;
  return true;
}
