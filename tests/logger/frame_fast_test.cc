// The frame layer's table-driven fast paths against plain reference code:
// slicing-by-8 CRC-32 for every length and alignment (the 8-byte steps,
// the byte tail and chaining), and nestrr_frame_encode's base64 (12-bit
// groups) against a character-at-a-time encoder, for every payload length.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "nestrr/frame.h"

namespace {

uint32_t BitwiseCrc(uint32_t crc, const unsigned char* p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return ~crc;
}

std::string ReferenceFrame(const std::string& payload) {
  std::string bytes = payload;
  const uint32_t crc = BitwiseCrc(0, reinterpret_cast<const unsigned char*>(payload.data()),
                                  payload.size());
  for (int k = 0; k < 4; ++k) bytes.push_back(static_cast<char>(crc >> (8 * k)));
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "~N";
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(a[(acc >> bits) & 63u]);
    }
  }
  if (bits) out.push_back(a[(acc << (6 - bits)) & 63u]);
  out.push_back('\n');
  return out;
}

TEST(FrameFast, Crc32MatchesBitwiseAtEveryLengthAndAlignment) {
  std::mt19937_64 rng(7);
  std::string buf(600, '\0');
  for (auto& c : buf) c = static_cast<char>(rng());
  const auto* base = reinterpret_cast<const unsigned char*>(buf.data());
  for (size_t off = 0; off < 8; ++off) {
    for (size_t n = 0; n <= 80; ++n)
      ASSERT_EQ(nestrr_crc32(0, base + off, n), BitwiseCrc(0, base + off, n)) << off << " " << n;
    ASSERT_EQ(nestrr_crc32(0, base + off, 517), BitwiseCrc(0, base + off, 517)) << off;
  }
  // Chained calls split anywhere give the one-call result.
  const uint32_t whole = nestrr_crc32(0, base, 300);
  for (size_t cut = 0; cut <= 300; cut += 13)
    ASSERT_EQ(nestrr_crc32(nestrr_crc32(0, base, cut), base + cut, 300 - cut), whole) << cut;
}

TEST(FrameFast, EncodeMatchesReferenceForEveryLength) {
  std::mt19937_64 rng(11);
  static char line[NESTRR_FRAME_MAX_LINE];
  for (size_t n = 0; n <= NESTRR_FRAME_MAX_PAYLOAD; n += (n < 64 ? 1 : 61)) {
    std::string payload(n, '\0');
    for (auto& c : payload) c = static_cast<char>(rng());
    const unsigned long len = nestrr_frame_encode(payload.data(), n, line);
    ASSERT_EQ(std::string(line, len), ReferenceFrame(payload)) << n;
  }
  // The largest payload exactly, and one byte more is refused.
  std::string big(NESTRR_FRAME_MAX_PAYLOAD, '\xff');
  const unsigned long len = nestrr_frame_encode(big.data(), big.size(), line);
  EXPECT_EQ(len, NESTRR_FRAME_MAX_LINE);
  EXPECT_EQ(std::string(line, len), ReferenceFrame(big));
  EXPECT_EQ(nestrr_frame_encode(big.data(), NESTRR_FRAME_MAX_PAYLOAD + 1, line), 0u);
}

}  // namespace
