/* Frame layer of the nestrr log stream (docs/format.md), version 1.
 *
 * Shared by the freestanding logger and the host tools: plain C, no libc.
 * A frame is one text line that survives a serial console:
 *
 *     "~N" base64(payload || crc32_le(payload)) "\n"
 *
 * Everything outside frames is the console's own text. */
#ifndef NESTRR_FRAME_H
#define NESTRR_FRAME_H

#ifdef __cplusplus
extern "C" {
#endif

/* Framing version. Frozen: what changes goes into the schema (proto/). */
#define NESTRR_FRAME_VERSION 1
/* The two bytes that open a frame. */
#define NESTRR_FRAME_MARK0 '~'
#define NESTRR_FRAME_MARK1 'N'
/* Largest payload a writer may put in one frame, and a reader must accept. */
#define NESTRR_FRAME_MAX_PAYLOAD 2048u
/* Bytes of CRC appended to the payload before base64. */
#define NESTRR_FRAME_CRC_BYTES 4u
/* Characters of base64 for n bytes (no padding). */
#define NESTRR_BASE64_CHARS(n) ((((n) / 3u) * 4u) + (((n) % 3u) ? ((n) % 3u) + 1u : 0u))
/* Longest frame line: marks, base64 of payload+crc, "\n". */
#define NESTRR_FRAME_MAX_LINE \
  (2u + NESTRR_BASE64_CHARS(NESTRR_FRAME_MAX_PAYLOAD + NESTRR_FRAME_CRC_BYTES) + 1u)

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32). Start with crc = 0;
 * chain calls by passing the previous result. */
unsigned int nestrr_crc32(unsigned int crc, const void *data, unsigned long len);
/* Its table: entry i is the CRC register after shifting byte i through. */
extern const unsigned int nestrr_crc32_table[256];

/* The base64 alphabet (RFC 4648, standard, no padding). */
extern const char nestrr_base64_alphabet[64];

/* Value of a base64 character, or -1 if c is not one. */
int nestrr_base64_value(unsigned char c);

/* Writes the frame line for payload[0..len) into out, which must have room
 * for NESTRR_FRAME_MAX_LINE characters. Returns the line length (including
 * the final "\n"), or 0 if len > NESTRR_FRAME_MAX_PAYLOAD. */
unsigned long nestrr_frame_encode(const void *payload, unsigned long len, char *out);

#ifdef __cplusplus
}
#endif

#endif /* NESTRR_FRAME_H */
