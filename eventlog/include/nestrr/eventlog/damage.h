// Damage reports: a stretch of the stream that the reader could not use,
// with where it was and why. Every lost frame is counted by kind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nestrr::eventlog {

enum class DamageKind : uint8_t {
  kCrcMismatch,      // frame decoded, CRC-32 differs
  kBadLength,        // base64 run of a length no frame can have
  kBadPadding,       // last base64 character carries non-zero unused bits
  kTooLong,          // base64 run longer than the largest legal frame
  kCut,              // frame cut by the end of the stream
  kBadByte,          // a byte outside the alphabet ended the frame early
  kBadPacket,        // frame intact but its payload is not a Packet
  kBadMark,          // "~N" mark damaged and the run behind it fails its checks
};
inline constexpr int kDamageKinds = 8;

std::string_view damage_kind_name(DamageKind kind);

struct Damage {
  DamageKind kind;
  uint64_t offset = 0;  // stream offset of the frame's '~'
  uint64_t length = 0;  // bytes of the stream the damage covers
  std::string detail;   // human-readable specifics (e.g. both CRCs)
  // kCut only: the payload bytes that arrived before the end of the
  // stream (unchecked: the CRC never came), to tell whose records they were.
  std::string payload_prefix = {};
};

// "crc_mismatch at byte 1234 (+98 bytes): ..." for messages and logs.
std::string describe(const Damage& damage);

}  // namespace nestrr::eventlog
