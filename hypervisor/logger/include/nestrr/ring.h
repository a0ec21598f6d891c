/* nestrr/ring.h: the per-CPU ring of raw binary records (slots).
 *
 * One ring per CPU in caller-provided memory. Any number of producers may
 * reserve concurrently (the owner CPU, an NMI that interrupts it, a dump on
 * another CPU that appends a RecordsLost); one consumer at a time drains it.
 * Slots are plain structs, not protobuf: encoding happens at drain time.
 * The reasoning behind the protocol is in src/ring.c. */
#ifndef NESTRR_RING_H
#define NESTRR_RING_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define NESTRR_STATIC_ASSERT(c, msg) static_assert(c, msg)
#else
#define NESTRR_STATIC_ASSERT(c, msg) _Static_assert(c, msg)
#endif

/* Slot header. A slot is `size` bytes (multiple of 8), header included, and
 * never wraps around the ring end: a PAD slot fills the gap instead. A PAD
 * slot may be only 8 bytes long, so size, kind and commit come first.
 * `commit` is written last, with release order, and holds ~pos (pos = the
 * slot's free-running byte position): a slot is committed exactly when
 * commit == ~pos, so headers left over from an earlier lap never look
 * committed, and nothing has to be cleared behind the consumer. */
struct nestrr_slot_hdr {
  uint16_t size;   /* at most NESTRR_SLOT_MAX */
  uint16_t kind;   /* NESTRR_F_RECORD_* of the event, or NESTRR_SLOT_PAD */
  uint32_t commit; /* ~pos once the slot is complete */
  uint32_t seq;    /* per-CPU sequence number (low 32 bits) */
  uint32_t flags;  /* 0 */
  uint64_t tsc;
};

#define NESTRR_SLOT_PAD 0u
/* Largest slot (an assertion failure with a full stack window). */
#define NESTRR_SLOT_MAX 1536u
/* Smallest legal ring; rings are powers of two. */
#define NESTRR_RING_MIN_BYTES (4u * NESTRR_SLOT_MAX)

enum nestrr_ring_mode {
  NESTRR_MODE_STREAM = 1, /* full ring: drop the new record */
  NESTRR_MODE_FLIGHT = 2  /* full ring: overwrite the oldest committed ones
                           * (a batch of at least 1/16 of the ring at once) */
};

/* Reservation word: low half the head byte position, high half the next
 * sequence number. Both free-running, advanced together by one CAS. */
union nestrr_ring_ctl {
  uint64_t word __attribute__((aligned(8)));
  uint32_t half[2]; /* [0] head, [1] seq (x86 is little-endian) */
};

struct nestrr_ring {
  union nestrr_ring_ctl ctl;
  /* [0] oldest live byte position; [1] flight mode: records overwritten
   * so far (= seq of the oldest live record), advanced with the position
   * by one CAS, so an overwrite costs no second atomic operation. */
  union nestrr_ring_ctl tail;
  uint32_t consumer_busy; /* try-lock of the single consumer */
  uint32_t dropped;       /* records not stored (wraps at 2^32) */
  uint32_t reported;      /* part of nestrr_ring_dropped already sent as RecordsLost */
  uint32_t mode;          /* enum nestrr_ring_mode */
  uint32_t mask;          /* ring bytes - 1 */
  uint32_t pad0_;
  /* Consumer side: 64-bit next seq as of the last drain or dump; slot and
   * ctl seqs are 32 bits and are extended against it (so at most 2^32
   * records may pass between two visits of the consumer). */
  uint64_t next_seq64 __attribute__((aligned(8)));
  unsigned char *data;    /* ring bytes, 8-aligned */
#if UINTPTR_MAX == 0xffffffffu
  uint32_t pad_;
#endif
};

NESTRR_STATIC_ASSERT(sizeof(struct nestrr_slot_hdr) == 24, "slot header layout");
NESTRR_STATIC_ASSERT(sizeof(struct nestrr_ring) == 56, "ring layout is the same on -m32 and -m64");
NESTRR_STATIC_ASSERT(NESTRR_SLOT_MAX % 8u == 0, "slots are multiples of 8 bytes");

/* Sets up a ring over `bytes` bytes of `data` (power of two >=
 * NESTRR_RING_MIN_BYTES, 8-aligned). Returns false if they are not. */
bool nestrr_ring_init(struct nestrr_ring *r, void *data, uint32_t bytes, enum nestrr_ring_mode mode);

/* Reserves a slot of `payload_bytes` after the header. Returns the header
 * with seq filled in, or 0 if the record was dropped (counted in
 * nestrr_ring_dropped). The caller fills tsc and payload, then calls commit. */
struct nestrr_slot_hdr *nestrr_ring_reserve(struct nestrr_ring *r, uint32_t payload_bytes,
                                            uint16_t kind);
/* Publishes a reserved slot. */
void nestrr_ring_commit(struct nestrr_ring *r, struct nestrr_slot_hdr *slot);

/* Records not stored or overwritten so far (wraps at 2^32). */
static inline uint32_t nestrr_ring_dropped(const struct nestrr_ring *r) {
  return __atomic_load_n(&r->dropped, __ATOMIC_RELAXED) +
         __atomic_load_n(&r->tail.half[1], __ATOMIC_RELAXED);
}

/* Payload of a slot. */
static inline void *nestrr_slot_payload(struct nestrr_slot_hdr *s) { return s + 1; }

/* A plausible slot size for its kind (PAD slots may be 8 bytes). */
static inline bool nestrr_slot_size_ok(uint32_t size, uint16_t kind) {
  return size >= 8u && (size & 7u) == 0 && size <= NESTRR_SLOT_MAX &&
         (kind == NESTRR_SLOT_PAD || size >= sizeof(struct nestrr_slot_hdr));
}

/* Consumer side, for drain and dump. Consistent snapshot of head and next
 * seq; the slot at a position. */
union nestrr_ring_ctl nestrr_ring_snapshot(const struct nestrr_ring *r);
static inline struct nestrr_slot_hdr *nestrr_ring_slot_at(const struct nestrr_ring *r, uint32_t pos) {
  return (struct nestrr_slot_hdr *)(void *)(r->data + (pos & r->mask));
}

#ifdef __cplusplus
}
#endif

#endif /* NESTRR_RING_H */
