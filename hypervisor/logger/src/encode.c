/* Protobuf wire-format writer (see nestrr/pb_out.h). */
#include "nestrr/pb_out.h"

void nestrr_pb_init(struct nestrr_pb_out *o, unsigned char *buf, uint32_t cap) {
  o->buf = buf;
  o->cap = cap;
  o->len = 0;
  o->ok = true;
}

void nestrr_pb_sizer(struct nestrr_pb_out *o) { nestrr_pb_init(o, 0, 0xffffffffu); }

uint32_t nestrr_pb_varint_size(uint64_t v) {
  uint32_t n = 1;
  while (v >= 0x80u) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Unaligned 8-byte moves for the copies (the columns into the packet):
 * the compiler may not turn the loop into a memcpy call (freestanding). */
typedef uint64_t __attribute__((may_alias, aligned(1))) u64_unaligned;

bool nestrr_pb_bytes(struct nestrr_pb_out *o, const void *p, uint32_t n) {
  const unsigned char *src = (const unsigned char *)p;
  uint32_t i = 0;
  if (!o->ok) return false;
  if (n > o->cap - o->len) {
    o->ok = false;
    return false;
  }
  if (o->buf) {
    unsigned char *dst = o->buf + o->len;
    for (; i + 8u <= n; i += 8u) *(u64_unaligned *)(dst + i) = *(const u64_unaligned *)(src + i);
    for (; i < n; i++) dst[i] = src[i];
  }
  o->len += n;
  return true;
}

/* Straight into the buffer: every tag, length and integer field goes
 * through here, so no staging copy. Room for the longest varint (10
 * bytes) is the common case; near the end of the buffer the exact size
 * decides. */
bool nestrr_pb_varint(struct nestrr_pb_out *o, uint64_t v) {
  unsigned char *d;
  uint32_t n = 0;
  if (!o->ok) return false;
  if (o->buf && o->cap - o->len >= 10u) {
    d = o->buf + o->len;
    while (v >= 0x80u) {
      d[n++] = (unsigned char)((v & 0x7fu) | 0x80u);
      v >>= 7;
    }
    d[n++] = (unsigned char)v;
    o->len += n;
    return true;
  }
  n = nestrr_pb_varint_size(v);
  if (n > o->cap - o->len) {
    o->ok = false;
    return false;
  }
  if (o->buf) {
    d = o->buf + o->len;
    while (v >= 0x80u) {
      *d++ = (unsigned char)((v & 0x7fu) | 0x80u);
      v >>= 7;
    }
    *d = (unsigned char)v;
  }
  o->len += n;
  return true;
}

bool nestrr_pb_tag(struct nestrr_pb_out *o, uint32_t tag) { return nestrr_pb_varint(o, tag); }

bool nestrr_pb_uint(struct nestrr_pb_out *o, uint32_t tag, uint64_t v) {
  return nestrr_pb_tag(o, tag) && nestrr_pb_varint(o, v);
}

bool nestrr_pb_uint_nz(struct nestrr_pb_out *o, uint32_t tag, uint64_t v) {
  return v == 0 ? o->ok : nestrr_pb_uint(o, tag, v);
}

bool nestrr_pb_sint_nz(struct nestrr_pb_out *o, uint32_t tag, int64_t v) {
  return nestrr_pb_uint_nz(o, tag, nestrr_pb_zigzag(v));
}

bool nestrr_pb_string_nz(struct nestrr_pb_out *o, uint32_t tag, const void *p, uint32_t n) {
  if (n == 0) return o->ok;
  return nestrr_pb_tag(o, tag) && nestrr_pb_varint(o, n) && nestrr_pb_bytes(o, p, n);
}

/* One pass: the body is written after a 1-byte length guess (most
 * submessages here are < 128 bytes) and shifted right when the length
 * needs more varint bytes. A sizing stream just counts the same way. */
bool nestrr_pb_submsg(struct nestrr_pb_out *o, uint32_t tag, nestrr_pb_body_fn body,
                      const void *arg) {
  uint32_t at, n, extra, i;
  unsigned char zero = 0;
  if (!nestrr_pb_tag(o, tag) || !nestrr_pb_bytes(o, &zero, 1)) return false;
  at = o->len;
  if (!body(o, arg)) {
    o->ok = false;
    return false;
  }
  n = o->len - at;
  extra = nestrr_pb_varint_size(n) - 1u;
  if (extra > o->cap - o->len) {
    o->ok = false;
    return false;
  }
  if (o->buf) {
    for (i = n; i > 0; i--) o->buf[at + extra + i - 1u] = o->buf[at + i - 1u];
    o->len = at - 1u;
    if (!nestrr_pb_varint(o, n)) return false;
  }
  o->len = at + extra + n;
  return true;
}
