/* Key frames of the flight recorder: the store (two halves, the newest
 * published key frame and the one being replaced) and their KeyFramePiece
 * packets at dump time.
 *
 * A half is laid out as: struct kf_half, then one u32 next seq per CPU
 * (padded to 8), then pieces, each a struct kf_piece and its data padded to
 * 8. A sparse region's pieces that are all zero are not stored.
 * `published` is 0 while a half is empty or being written; publish sets it
 * last (release), and the dump reads it first (acquire), so a dump never
 * starts on a half that is being written. Taking a key frame is the caller's job under its
 * own barrier (every CPU between two steps); a dump that races a take (an
 * assertion on one CPU while the others copy) can write a half-rewritten
 * key frame's pieces under the old id only if the take began after the
 * dump checked `published`: the reader then sees pieces that disagree and drops
 * that key frame as incomplete. */
#include "internal.h"

struct kf_region {
  char name[16];
  uint64_t bytes;
  uint32_t sparse, pad;
};

struct kf_half {
  uint32_t published; /* 0: empty or being written (a u32: no 64-bit atomics on i386) */
  uint32_t pad;
  uint64_t id;
  uint64_t used; /* bytes of the half in use, this header included */
  uint32_t region_count;
  uint32_t pieces; /* data pieces stored */
  struct kf_region region[NESTRR_KEYFRAME_REGIONS_MAX];
};

struct kf_piece {
  uint32_t region, len;
  uint64_t offset;
};

static unsigned long half_bytes(const struct nestrr_logger *lg) {
  return (lg->config.keyframe_bytes / 2u) & ~7ul;
}

static struct kf_half *half_at(const struct nestrr_logger *lg, uint32_t i) {
  uintptr_t base = ((uintptr_t)lg->config.keyframe_memory + 7u) & ~(uintptr_t)7u;
  return (struct kf_half *)(base + (uintptr_t)i * half_bytes(lg));
}

static uint32_t *seq_table(struct kf_half *h) { return (uint32_t *)(void *)(h + 1); }

static unsigned long seq_table_bytes(const struct nestrr_logger *lg) {
  return ((unsigned long)lg->cpu_count * 4u + 7u) & ~7ul;
}

static bool store_usable(const struct nestrr_logger *lg) {
  return lg->mode == NESTRR_MODE_FLIGHT && lg->config.keyframe_memory &&
         half_bytes(lg) >= sizeof(struct kf_half) + seq_table_bytes(lg) + 8u;
}

void nestrr_keyframe_init(struct nestrr_logger *lg) {
  if (!store_usable(lg)) return;
  half_at(lg, 0)->published = 0;
  half_at(lg, 1)->published = 0;
}

static bool all_zero(const unsigned char *p, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

static void copy_bytes(unsigned char *dst, const unsigned char *src, uint32_t n) {
  uint32_t i = 0;
  if ((((uintptr_t)dst | (uintptr_t)src) & 7u) == 0)
    for (; i + 8u <= n; i += 8u) *(uint64_t *)(void *)(dst + i) = *(const uint64_t *)(const void *)(src + i);
  for (; i < n; i++) dst[i] = src[i];
}

bool nestrr_logger_keyframe_take(struct nestrr_logger *lg, const struct nestrr_region *regions,
                                 uint32_t n) {
  uint32_t slot, i, cpu;
  struct kf_half *h;
  unsigned long cap, used;
  if (!store_usable(lg) || n > NESTRR_KEYFRAME_REGIONS_MAX) return false;
  slot = lg->kf_newest ^ 1u;
  h = half_at(lg, slot);
  cap = half_bytes(lg);
  __atomic_store_n(&h->published, 0u, __ATOMIC_RELEASE);
  lg->kf_pending = 0;
  h->region_count = n;
  h->pieces = 0;
  for (cpu = 0; cpu < lg->cpu_count; cpu++)
    seq_table(h)[cpu] = __atomic_load_n(&lg->cpus[cpu].ring.ctl.half[1], __ATOMIC_ACQUIRE);
  used = sizeof *h + seq_table_bytes(lg);
  for (i = 0; i < n; i++) {
    const unsigned char *src = (const unsigned char *)regions[i].data;
    uint64_t off;
    uint32_t k;
    for (k = 0; k + 1u < sizeof h->region[i].name && regions[i].name && regions[i].name[k]; k++)
      h->region[i].name[k] = regions[i].name[k];
    for (; k < sizeof h->region[i].name; k++) h->region[i].name[k] = 0;
    h->region[i].bytes = regions[i].bytes;
    h->region[i].sparse = regions[i].sparse ? 1u : 0u;
    h->region[i].pad = 0;
    for (off = 0; off < regions[i].bytes; off += NESTRR_KEYFRAME_PIECE_BYTES) {
      uint64_t left = regions[i].bytes - off;
      uint32_t len = left < NESTRR_KEYFRAME_PIECE_BYTES ? (uint32_t)left : NESTRR_KEYFRAME_PIECE_BYTES;
      unsigned long need = sizeof(struct kf_piece) + ((len + 7u) & ~7u);
      struct kf_piece *p;
      if (regions[i].sparse && all_zero(src + off, len)) continue;
      if (used + need > cap) return false;
      p = (struct kf_piece *)(void *)((unsigned char *)h + used);
      p->region = i;
      p->len = len;
      p->offset = off;
      copy_bytes((unsigned char *)(p + 1), src + off, len);
      used += need;
      h->pieces++;
    }
  }
  h->used = used;
  lg->kf_pending = 1;
  return true;
}

void nestrr_logger_keyframe_publish(struct nestrr_logger *lg) {
  uint32_t slot;
  if (!lg->kf_pending) return;
  slot = lg->kf_newest ^ 1u;
  lg->kf_pending = 0;
  lg->kf_last_id++;
  half_at(lg, slot)->id = lg->kf_last_id;
  __atomic_store_n(&half_at(lg, slot)->published, 1u, __ATOMIC_RELEASE);
  lg->kf_newest = slot;
}

uint32_t nestrr_logger_since_keyframe(const struct nestrr_logger *lg, uint32_t cpu) {
  uint32_t now;
  const struct kf_half *h;
  if (cpu >= lg->cpu_count) return 0;
  now = __atomic_load_n(&lg->cpus[cpu].ring.ctl.half[1], __ATOMIC_ACQUIRE);
  if (!store_usable(lg)) return now;
  h = half_at(lg, lg->kf_newest);
  if (__atomic_load_n(&h->published, __ATOMIC_ACQUIRE) == 0) return now;
  return now - seq_table((struct kf_half *)h)[cpu];
}

/* ---- dump ---- */

struct piece0_arg {
  struct nestrr_logger *lg;
  struct kf_half *h;
  uint64_t id;
};

static bool next_seq_body(struct nestrr_pb_out *o, const void *arg_) {
  const struct piece0_arg *a = (const struct piece0_arg *)arg_;
  uint32_t cpu;
  for (cpu = 0; cpu < a->lg->cpu_count; cpu++)
    if (!nestrr_pb_varint(o, nestrr_seq_extend(&a->lg->cpus[cpu].ring, seq_table(a->h)[cpu])))
      return false;
  return true;
}

static uint32_t name_len(const char *s, uint32_t max) {
  uint32_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}

static bool region_body(struct nestrr_pb_out *o, const void *arg) {
  const struct kf_region *r = (const struct kf_region *)arg;
  return nestrr_pb_string_nz(o, NESTRR_T_KEY_FRAME_PIECE_REGION_NAME, r->name,
                             name_len(r->name, sizeof r->name)) &&
         nestrr_pb_uint_nz(o, NESTRR_T_KEY_FRAME_PIECE_REGION_BYTES, r->bytes) &&
         nestrr_pb_uint_nz(o, NESTRR_T_KEY_FRAME_PIECE_REGION_SPARSE, r->sparse);
}

static bool piece0_body(struct nestrr_pb_out *o, const void *arg_) {
  const struct piece0_arg *a = (const struct piece0_arg *)arg_;
  uint32_t i;
  if (!nestrr_pb_uint_nz(o, NESTRR_T_KEY_FRAME_PIECE_ID, a->id) ||
      !nestrr_pb_uint_nz(o, NESTRR_T_KEY_FRAME_PIECE_PIECES, 1u + a->h->pieces) ||
      !nestrr_pb_submsg(o, NESTRR_T_KEY_FRAME_PIECE_NEXT_SEQ, next_seq_body, a))
    return false;
  for (i = 0; i < a->h->region_count && i < NESTRR_KEYFRAME_REGIONS_MAX; i++)
    if (!nestrr_pb_submsg(o, NESTRR_T_KEY_FRAME_PIECE_REGION, region_body, &a->h->region[i]))
      return false;
  return true;
}

struct piece_arg {
  uint64_t id;
  uint32_t index, pieces;
  const struct kf_piece *p;
};

static bool piece_body(struct nestrr_pb_out *o, const void *arg_) {
  const struct piece_arg *a = (const struct piece_arg *)arg_;
  return nestrr_pb_uint_nz(o, NESTRR_T_KEY_FRAME_PIECE_ID, a->id) &&
         nestrr_pb_uint_nz(o, NESTRR_T_KEY_FRAME_PIECE_PIECE, a->index) &&
         nestrr_pb_uint_nz(o, NESTRR_T_KEY_FRAME_PIECE_PIECES, a->pieces) &&
         nestrr_pb_uint_nz(o, NESTRR_T_KEY_FRAME_PIECE_REGION_INDEX, a->p->region) &&
         nestrr_pb_uint_nz(o, NESTRR_T_KEY_FRAME_PIECE_OFFSET, a->p->offset) &&
         nestrr_pb_string_nz(o, NESTRR_T_KEY_FRAME_PIECE_DATA, a->p + 1, a->p->len);
}

static void emit_half(struct nestrr_logger *lg, struct nestrr_scratch *sc, struct kf_half *h) {
  struct nestrr_pb_out o;
  struct piece0_arg a0;
  struct piece_arg a;
  unsigned long at, cap = half_bytes(lg);
  uint32_t k;
  a0.lg = lg;
  a0.h = h;
  if (__atomic_load_n(&h->published, __ATOMIC_ACQUIRE) == 0) return;
  a0.id = h->id;
  if (h->used > cap) return;
  nestrr_pb_init(&o, sc->payload, NESTRR_FRAME_MAX_PAYLOAD);
  if (!nestrr_pb_submsg(&o, NESTRR_T_PACKET_KEY_FRAME, piece0_body, &a0)) return;
  nestrr_emit_payload(lg, sc, o.len);
  a.id = a0.id;
  a.pieces = 1u + h->pieces;
  at = sizeof *h + seq_table_bytes(lg);
  for (k = 0; k < h->pieces && at + sizeof(struct kf_piece) <= h->used; k++) {
    a.index = k + 1u;
    a.p = (const struct kf_piece *)(const void *)((const unsigned char *)h + at);
    if (a.p->len > NESTRR_KEYFRAME_PIECE_BYTES) return;
    nestrr_pb_init(&o, sc->payload, NESTRR_FRAME_MAX_PAYLOAD);
    if (nestrr_pb_submsg(&o, NESTRR_T_PACKET_KEY_FRAME, piece_body, &a))
      nestrr_emit_payload(lg, sc, o.len);
    at += sizeof(struct kf_piece) + ((a.p->len + 7u) & ~7u);
  }
}

void nestrr_emit_keyframes(struct nestrr_logger *lg, struct nestrr_scratch *sc) {
  if (!store_usable(lg)) return;
  emit_half(lg, sc, half_at(lg, lg->kf_newest ^ 1u)); /* older first */
  emit_half(lg, sc, half_at(lg, lg->kf_newest));
}
