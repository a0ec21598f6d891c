/* Frame layer: CRC-32 and the base64 line encoding (see nestrr/frame.h).
 * Freestanding: no libc, no tables built at run time. */
#include "nestrr/frame.h"

const char nestrr_base64_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Bitwise CRC, four bits at a time through a 16-entry table: small enough
 * for a hypervisor image, fast enough for a serial line. */
static const unsigned int crc32_nibble[16] = {
    0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u,
    0x4db26158u, 0x5005713cu, 0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
    0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu,
};

unsigned int nestrr_crc32(unsigned int crc, const void *data, unsigned long len) {
  const unsigned char *p = (const unsigned char *)data;
  crc = ~crc;
  while (len--) {
    crc ^= *p++;
    crc = (crc >> 4) ^ crc32_nibble[crc & 15u];
    crc = (crc >> 4) ^ crc32_nibble[crc & 15u];
  }
  return ~crc;
}

int nestrr_base64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Encodes n bytes as base64 without padding; returns characters written. */
static unsigned long base64_encode(const unsigned char *in, unsigned long n, char *out) {
  unsigned long o = 0;
  unsigned long i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned int v = ((unsigned int)in[i] << 16) | ((unsigned int)in[i + 1] << 8) | in[i + 2];
    out[o++] = nestrr_base64_alphabet[(v >> 18) & 63u];
    out[o++] = nestrr_base64_alphabet[(v >> 12) & 63u];
    out[o++] = nestrr_base64_alphabet[(v >> 6) & 63u];
    out[o++] = nestrr_base64_alphabet[v & 63u];
  }
  if (n - i == 1) {
    unsigned int v = (unsigned int)in[i] << 16;
    out[o++] = nestrr_base64_alphabet[(v >> 18) & 63u];
    out[o++] = nestrr_base64_alphabet[(v >> 12) & 63u];
  } else if (n - i == 2) {
    unsigned int v = ((unsigned int)in[i] << 16) | ((unsigned int)in[i + 1] << 8);
    out[o++] = nestrr_base64_alphabet[(v >> 18) & 63u];
    out[o++] = nestrr_base64_alphabet[(v >> 12) & 63u];
    out[o++] = nestrr_base64_alphabet[(v >> 6) & 63u];
  }
  return o;
}

unsigned long nestrr_frame_encode(const void *payload, unsigned long len, char *out) {
  const unsigned char *p = (const unsigned char *)payload;
  unsigned long o = 0;
  unsigned long whole;
  unsigned char tail[3 + NESTRR_FRAME_CRC_BYTES];
  unsigned long rest;
  unsigned long k;
  unsigned int crc;
  if (len > NESTRR_FRAME_MAX_PAYLOAD) return 0;
  crc = nestrr_crc32(0, p, len);
  out[o++] = NESTRR_FRAME_MARK0;
  out[o++] = NESTRR_FRAME_MARK1;
  /* Whole 3-byte groups of the payload straight from it; the remainder of
   * the payload and the CRC through a small buffer. */
  whole = len - len % 3u;
  o += base64_encode(p, whole, out + o);
  rest = len - whole;
  for (k = 0; k < rest; k++) tail[k] = p[whole + k];
  tail[rest + 0] = (unsigned char)(crc & 0xffu);
  tail[rest + 1] = (unsigned char)((crc >> 8) & 0xffu);
  tail[rest + 2] = (unsigned char)((crc >> 16) & 0xffu);
  tail[rest + 3] = (unsigned char)((crc >> 24) & 0xffu);
  o += base64_encode(tail, rest + NESTRR_FRAME_CRC_BYTES, out + o);
  out[o++] = '\n';
  return o;
}
