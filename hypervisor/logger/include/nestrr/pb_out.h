/* nestrr/pb_out.h: a minimal protobuf wire-format writer for freestanding C.
 *
 * nanopb-style: an output stream over a caller buffer; every call returns
 * bool and the first error sticks (later calls do nothing and fail). A
 * stream with buf == 0 only counts bytes (the sizing pass for length
 * prefixes, and for checking room before writing). */
#ifndef NESTRR_PB_OUT_H
#define NESTRR_PB_OUT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NESTRR_MUST_CHECK __attribute__((warn_unused_result))

struct nestrr_pb_out {
  unsigned char *buf; /* 0: sizing stream */
  uint32_t cap;
  uint32_t len;
  bool ok;
};

/* Wire types. */
#define NESTRR_WT_VARINT 0u
#define NESTRR_WT_LEN 2u

void nestrr_pb_init(struct nestrr_pb_out *o, unsigned char *buf, uint32_t cap);
/* A sizing stream: counts, never fails for lack of room. */
void nestrr_pb_sizer(struct nestrr_pb_out *o);

/* Bytes a varint of v takes (1..10). */
uint32_t nestrr_pb_varint_size(uint64_t v);
static inline uint64_t nestrr_pb_zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

NESTRR_MUST_CHECK bool nestrr_pb_bytes(struct nestrr_pb_out *o, const void *p, uint32_t n);
NESTRR_MUST_CHECK bool nestrr_pb_varint(struct nestrr_pb_out *o, uint64_t v);
/* A complete tag value, e.g. NESTRR_T_VM_EXIT_REASON from nestrr/fields.h. */
NESTRR_MUST_CHECK bool nestrr_pb_tag(struct nestrr_pb_out *o, uint32_t tag);

/* Fields. The *_nz forms skip a zero value (proto3 default, not on the wire);
 * the others always write it (explicit presence, e.g. optional fields). */
NESTRR_MUST_CHECK bool nestrr_pb_uint(struct nestrr_pb_out *o, uint32_t tag, uint64_t v);
NESTRR_MUST_CHECK bool nestrr_pb_uint_nz(struct nestrr_pb_out *o, uint32_t tag, uint64_t v);
NESTRR_MUST_CHECK bool nestrr_pb_sint_nz(struct nestrr_pb_out *o, uint32_t tag, int64_t v);
/* string/bytes field; skipped when n == 0. */
NESTRR_MUST_CHECK bool nestrr_pb_string_nz(struct nestrr_pb_out *o, uint32_t tag, const void *p,
                                           uint32_t n);

/* Length-delimited submessage: writes the tag, runs `body` once on `o`, and
 * puts the length in front of what it wrote. */
typedef bool (*nestrr_pb_body_fn)(struct nestrr_pb_out *o, const void *arg);
NESTRR_MUST_CHECK bool nestrr_pb_submsg(struct nestrr_pb_out *o, uint32_t tag,
                                        nestrr_pb_body_fn body, const void *arg);

#ifdef __cplusplus
}
#endif

#endif /* NESTRR_PB_OUT_H */
