// Names and one-line descriptions of damage reports.
#include "nestrr/eventlog/damage.h"

namespace nestrr::eventlog {

std::string_view damage_kind_name(DamageKind kind) {
  switch (kind) {
    case DamageKind::kCrcMismatch: return "crc_mismatch";
    case DamageKind::kBadLength: return "bad_length";
    case DamageKind::kBadPadding: return "bad_padding";
    case DamageKind::kTooLong: return "too_long";
    case DamageKind::kCut: return "cut";
    case DamageKind::kBadByte: return "bad_byte";
    case DamageKind::kBadPacket: return "bad_packet";
    case DamageKind::kBadMark: return "bad_mark";
  }
  return "unknown";
}

std::string describe(const Damage& damage) {
  std::string out(damage_kind_name(damage.kind));
  out += " at byte " + std::to_string(damage.offset) + " (" + std::to_string(damage.length) +
         " bytes)";
  if (!damage.detail.empty()) out += ": " + damage.detail;
  return out;
}

}  // namespace nestrr::eventlog
