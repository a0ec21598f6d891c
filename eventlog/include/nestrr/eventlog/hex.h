// Hex text of numbers and byte strings: the one formatter the host side
// uses for addresses, values, build-ids and gdb packets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nestrr::eventlog {

// "1f": lower-case digits, no leading zeros ("0" for 0).
inline std::string hex_digits(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[16];
  size_t n = 0;
  do {
    buf[sizeof buf - ++n] = kDigits[v & 0xf];
    v >>= 4;
  } while (v);
  return std::string(buf + sizeof buf - n, n);
}

// "0x1f", as addresses and values are printed.
inline std::string hex(uint64_t v) { return "0x" + hex_digits(v); }

// Two lower-case digits per byte, in order ("build-id" style).
inline std::string hex_bytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace nestrr::eventlog
