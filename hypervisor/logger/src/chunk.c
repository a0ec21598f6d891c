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
    nestrr_emit_payload(lg, sc, ch->out.len);
    ch->flushes++;
  }
  ch->count = 0;
}

static bool fits(const struct nestrr_chunk *ch, const struct nestrr_slot_hdr *slot) {
  struct nestrr_pb_out sizer;
  nestrr_pb_sizer(&sizer);
  if (!nestrr_encode_record(&sizer, slot, ch)) return false;
  return sizer.len <= ch->out.cap - ch->out.len;
}

bool nestrr_chunk_add(struct nestrr_logger *lg, struct nestrr_scratch *sc, struct nestrr_chunk *ch,
                      const struct nestrr_slot_hdr *slot, uint64_t seq) {
  uint64_t rip = 0;
  if (ch->count && (seq != ch->next_seq || !fits(ch, slot))) nestrr_chunk_flush(lg, sc, ch);
  if (ch->count == 0 && (!start(sc, ch, slot, seq) || !fits(ch, slot))) {
    ch->count = 0;
    return false;
  }
  if (!nestrr_encode_record(&ch->out, slot, ch)) { /* cannot happen after fits() */
    ch->count = 0;
    return false;
  }
  if (slot->kind == NESTRR_F_RECORD_VM_EXIT) {
    /* struct slot_vm_exit: guest_rip after reason, from_l2, qualification. */
    const uint64_t *words = (const uint64_t *)(const void *)(slot + 1);
    rip = words[2];
    ch->prev_rip = rip;
  }
  ch->prev_tsc = slot->tsc;
  ch->next_seq = seq + 1u;
  ch->count++;
  return true;
}
