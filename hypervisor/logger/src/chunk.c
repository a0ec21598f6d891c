/* Chunks: consecutive records of one CPU packed into one Packet that fits a
 * frame. A record that does not fit, or does not follow in sequence (the
 * dump skipped overwritten slots), starts the next chunk. */
#include "internal.h"

void nestrr_chunk_init(struct nestrr_chunk *ch, uint32_t cpu) {
  nestrr_pb_sizer(&ch->out);
  ch->cpu = cpu;
  ch->count = 0;
  ch->flushes = 0;
  ch->next_seq = 0;
  ch->prev_tsc = 0;
  ch->prev_rip = 0;
}

static bool start(struct nestrr_scratch *sc, struct nestrr_chunk *ch,
                  const struct nestrr_slot_hdr *slot, uint64_t seq) {
  nestrr_pb_init(&ch->out, sc->payload, NESTRR_FRAME_MAX_PAYLOAD);
  ch->count = 0;
  ch->next_seq = seq;
  ch->prev_tsc = slot->tsc;
  ch->prev_rip = 0;
  /* cpu is written even when 0: it is what marks a packet as a chunk. */
  return nestrr_pb_uint(&ch->out, NESTRR_T_PACKET_CPU, ch->cpu) &&
         nestrr_pb_uint_nz(&ch->out, NESTRR_T_PACKET_FIRST_SEQ, seq) &&
         nestrr_pb_uint_nz(&ch->out, NESTRR_T_PACKET_TSC_BASE, slot->tsc);
}

void nestrr_chunk_flush(struct nestrr_logger *lg, struct nestrr_scratch *sc,
                        struct nestrr_chunk *ch) {
  if (ch->count && ch->out.ok) {
    uint32_t every = lg->config.header_every_frames;
    nestrr_emit_payload(lg, sc, ch->out.len);
    ch->flushes++;
    /* The payload is out: the scratch is free for a repeated Header. */
    if (every && lg->mode == NESTRR_MODE_STREAM &&
        __atomic_add_fetch(&lg->frames_since_header, 1u, __ATOMIC_RELAXED) % every == 0)
      nestrr_emit_header(lg, sc, NESTRR_HEADER_SINK_STREAM);
  }
  ch->count = 0;
}

/* Encodes the record at the end of the chunk; on overflow leaves the chunk
 * as it was (the bytes past its end are scratch). One pass, no sizing. */
static bool append(struct nestrr_chunk *ch, const struct nestrr_slot_hdr *slot) {
  uint32_t len = ch->out.len;
  if (nestrr_encode_record(&ch->out, slot, ch)) return true;
  ch->out.len = len;
  ch->out.ok = true;
  return false;
}

bool nestrr_chunk_add(struct nestrr_logger *lg, struct nestrr_scratch *sc, struct nestrr_chunk *ch,
                      const struct nestrr_slot_hdr *slot, uint64_t seq) {
  if (ch->count && seq != ch->next_seq) nestrr_chunk_flush(lg, sc, ch);
  if (ch->count == 0 && !start(sc, ch, slot, seq)) return false;
  if (!append(ch, slot)) {
    if (ch->count == 0) return false; /* too big for any frame: cannot happen (slots.h) */
    nestrr_chunk_flush(lg, sc, ch);
    if (!start(sc, ch, slot, seq) || !append(ch, slot)) {
      ch->count = 0;
      return false;
    }
  }
  if (slot->kind == NESTRR_F_RECORD_VM_EXIT) {
    /* struct slot_vm_exit: guest_rip after reason, from_l2, qualification. */
    const uint64_t *words = (const uint64_t *)(const void *)(slot + 1);
    ch->prev_rip = words[2];
  }
  ch->prev_tsc = slot->tsc;
  ch->next_seq = seq + 1u;
  ch->count++;
  return true;
}
