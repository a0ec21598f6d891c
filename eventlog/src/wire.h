// The protobuf wire format read by hand, for the readers that walk packets
// without building messages (scan_packet.cc, and the per-CPU skip of
// log_stream.cc): the schema's field numbers and a reader bounded by its
// span.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace nestrr::eventlog::wire {

// Field numbers of the schema (the generated header of the logger has them
// too; these are the readers'. A wrong one shows in the tests that compare
// these readers with libprotobuf's parse of the same bytes.)
enum : uint32_t {
  kPacketCpu = 1, kPacketFirstSeq = 2, kPacketTscBase = 3, kPacketRecord = 4, kPacketHeader = 5,
  kPacketTrailer = 6, kPacketKeyFrame = 7, kPacketExits = 8, kPacketOrder = 9, kPacketDtShift = 10,
  kRecordDt = 1, kRecordVmExit = 2,
  kExitReason = 1, kExitRipDelta = 2, kExitQualification = 3, kExitFromL2 = 4,
  kColsHead = 1, kColsDt = 2, kColsReason = 3, kColsRip = 4, kColsQual = 5,
};

// A bounded reader over a byte span.
struct Wire {
  const uint8_t* p;
  const uint8_t* end;
  explicit Wire(std::string_view s)
      : p(reinterpret_cast<const uint8_t*>(s.data())), end(p + s.size()) {}
  bool done() const { return p >= end; }
  bool varint(uint64_t* v) {
    // With 8 bytes to read, a varint of up to 8 bytes (56 bits) decodes
    // without a branch on its length, which the data decides and a
    // predictor cannot: the first clear top bit ends it, and the 7-bit
    // groups close up in three steps.
    if (end - p >= 8) {
      uint64_t x;
      std::memcpy(&x, p, 8);  // little-endian, as the wire is
      const uint64_t stops = ~x & 0x8080808080808080ull;
      if (stops) {
        const int bits = __builtin_ctzll(stops) + 1;  // through the last byte's top bit
        x &= (~0ull >> (64 - bits)) & 0x7f7f7f7f7f7f7f7full;  // its bytes, top bits off
        x = ((x & 0x7f007f007f007f00ull) >> 1) | (x & 0x007f007f007f007full);
        x = ((x & 0x3fff00003fff0000ull) >> 2) | (x & 0x00003fff00003fffull);
        x = ((x & 0x0fffffff00000000ull) >> 4) | (x & 0x000000000fffffffull);
        *v = x;
        p += bits >> 3;
        return true;
      }
    }
    uint64_t out = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
      const uint8_t b = *p++;
      out |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *v = out;
        return true;
      }
    }
    return false;
  }
  bool bytes(std::string_view* out) {
    uint64_t n;
    if (!varint(&n) || n > static_cast<uint64_t>(end - p)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p), n);
    p += n;
    return true;
  }
  // Skips a field's value of wire type `wt`.
  bool skip(uint32_t wt) {
    uint64_t v;
    std::string_view s;
    switch (wt) {
      case 0: return varint(&v);
      case 1: return end - p >= 8 ? (p += 8, true) : false;
      case 2: return bytes(&s);
      case 5: return end - p >= 4 ? (p += 4, true) : false;
      default: return false;
    }
  }
};

}  // namespace nestrr::eventlog::wire
