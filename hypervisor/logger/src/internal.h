/* Interfaces between the logger's source files (not part of the API). */
#ifndef NESTRR_INTERNAL_H
#define NESTRR_INTERNAL_H

#include "nestrr/logger.h"
#include "nestrr/pb_out.h"

/* The move-to-front lists of a chunk's exit columns (ExitColumns). */
#define NESTRR_MTF 7u
struct nestrr_exit_cols {
  uint32_t len[5];   /* bytes in scratch->col[]: head, dt, reason, rip, qualification */
  uint32_t count;    /* exits in the columns */
  uint32_t nreasons, nrips;
  uint32_t reasons[NESTRR_MTF];
  uint64_t quals[NESTRR_MTF]; /* the last qualification of each listed reason */
  uint64_t rips[NESTRR_MTF];
};

/* A Packet chunk under construction: records of one CPU with consecutive
 * sequence numbers. Records go to scratch->records, VM exits to the
 * columns (unless config.records_only), and how they interleave to
 * scratch->order; the flush assembles the packet in scratch->payload. */
struct nestrr_chunk {
  struct nestrr_pb_out out; /* over scratch->records */
  uint32_t cpu;
  uint32_t count;    /* records in the chunk; 0 = not started */
  uint32_t flushes;  /* frames written so far */
  uint32_t shift;    /* config.dt_shift */
  uint32_t head_len; /* bytes of cpu, first_seq, tsc_base, dt_shift */
  uint64_t next_seq; /* seq the next record must have to join */
  uint64_t tsc_base; /* Packet.tsc_base: the first record's TSC */
  uint64_t prev_tsc; /* the TSC a reader reconstructs for the last record */
  int64_t dt;        /* the record being added: units since prev_tsc */
  uint64_t prev_rip; /* guest RIP of the chunk's last VmExit, 0 before */
  struct nestrr_exit_cols x;
  uint32_t order_len; /* bytes of finished runs in scratch->order */
  uint32_t run;       /* records in the open run */
  bool run_exits;     /* the open run is of exits (runs start with exits) */
};

/* columns.c: a VM exit appended to the chunk's columns, if it fits in
 * `room` more bytes of packet (false: the chunk is left as it was); the
 * packet bytes the columns and order take. */
bool nestrr_columns_add(struct nestrr_scratch *sc, struct nestrr_chunk *ch,
                        const struct nestrr_slot_hdr *slot, uint32_t room);
uint32_t nestrr_columns_size(const struct nestrr_chunk *ch);
/* Appends Packet.exits and Packet.order to `o`. */
bool nestrr_columns_write(struct nestrr_pb_out *o, const struct nestrr_scratch *sc,
                          const struct nestrr_chunk *ch) __attribute__((warn_unused_result));
/* Notes one more record of the kind (exit or not) in the order runs. */
void nestrr_order_note(struct nestrr_scratch *sc, struct nestrr_chunk *ch, bool exit);

/* record.c: the Record message for one slot, given the chunk so far (its
 * dt is ch->dt). */
bool nestrr_encode_record(struct nestrr_pb_out *o, const struct nestrr_slot_hdr *slot,
                          const struct nestrr_chunk *ch) __attribute__((warn_unused_result));

/* chunk.c */
void nestrr_chunk_init(struct nestrr_chunk *ch, uint32_t cpu);
/* Appends a record; writes the current chunk first if the record does not
 * fit or does not follow it in sequence. False if it cannot be encoded. */
bool nestrr_chunk_add(struct nestrr_logger *lg, struct nestrr_scratch *sc, struct nestrr_chunk *ch,
                      const struct nestrr_slot_hdr *slot, uint64_t seq);
void nestrr_chunk_flush(struct nestrr_logger *lg, struct nestrr_scratch *sc,
                        struct nestrr_chunk *ch);

/* packets.c: frames for header and trailer packets; frame output. */
void nestrr_emit_payload(struct nestrr_logger *lg, struct nestrr_scratch *sc, uint32_t len);
void nestrr_emit_header(struct nestrr_logger *lg, struct nestrr_scratch *sc, uint32_t sink);
void nestrr_emit_trailer(struct nestrr_logger *lg, struct nestrr_scratch *sc, uint32_t cpu,
                         uint64_t next_seq, uint64_t dropped);

/* keyframe.c: empties the store; writes its key frames (dump only). */
void nestrr_keyframe_init(struct nestrr_logger *lg);
void nestrr_emit_keyframes(struct nestrr_logger *lg, struct nestrr_scratch *sc);

/* log.c: the RecordsLost record, appended by a consumer. */
bool nestrr_log_records_lost(struct nestrr_logger *lg, uint32_t cpu, uint64_t count);

/* Sequence numbers: refreshes ring->next_seq64 from ctl (consumer only) and
 * extends a 32-bit slot seq against it. */
uint64_t nestrr_seq_refresh(struct nestrr_ring *r);
static inline uint64_t nestrr_seq_extend(const struct nestrr_ring *r, uint32_t seq32) {
  return r->next_seq64 - (uint32_t)((uint32_t)r->next_seq64 - seq32);
}

/* Spin and try locks on a u32 flag. */
static inline bool nestrr_try_lock(uint32_t *flag) {
  return __atomic_exchange_n(flag, 1u, __ATOMIC_ACQUIRE) == 0;
}
static inline void nestrr_unlock(uint32_t *flag) { __atomic_store_n(flag, 0u, __ATOMIC_RELEASE); }

#endif /* NESTRR_INTERNAL_H */
