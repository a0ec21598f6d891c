// Framing of the remote protocol (packet.h).
#include "nestrr/gdbstub/packet.h"

#include "nestrr/eventlog/hex.h"

namespace nestrr::gdbstub {
namespace {

int hex_digit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kDigits[] = "0123456789abcdef";

}  // namespace

std::optional<ReaderEvent> PacketReader::feed(uint8_t byte) {
  using K = ReaderEvent::Kind;
  switch (state_) {
    case State::kIdle:
      if (byte == '$') {
        raw_.clear();
        sum_ = 0;
        state_ = State::kPayload;
      } else if (byte == '+') {
        return ReaderEvent{K::kAck, {}, {}};
      } else if (byte == '-') {
        return ReaderEvent{K::kNack, {}, {}};
      } else if (byte == 0x03) {
        return ReaderEvent{K::kInterrupt, {}, {}};
      }
      return std::nullopt;  // line noise between packets
    case State::kPayload:
      if (byte == '#') {
        state_ = State::kChecksumHi;
      } else if (byte == '$') {  // a new packet starts: the old one was cut
        raw_.clear();
        sum_ = 0;
      } else if (raw_.size() >= max_) {
        state_ = State::kSkipping;
        raw_.clear();
        return ReaderEvent{K::kOversized, {}, "packet longer than " + std::to_string(max_) + " bytes"};
      } else {
        raw_.push_back(static_cast<char>(byte));
        sum_ = static_cast<uint8_t>(sum_ + byte);
      }
      return std::nullopt;
    case State::kSkipping:  // the rest of an oversized packet, and its checksum
      if (byte == '#') state_ = State::kSkipChecksum;
      if (byte == '$') {
        raw_.clear();
        sum_ = 0;
        state_ = State::kPayload;
      }
      return std::nullopt;
    case State::kSkipChecksum:
      if (++skip_ == 2) {
        skip_ = 0;
        state_ = State::kIdle;
      }
      return std::nullopt;
    case State::kChecksumHi:
      want_hi_ = hex_digit(byte);
      state_ = State::kChecksumLo;
      if (want_hi_ < 0) want_hi_ = 0x100;  // remembered as bad
      return std::nullopt;
    case State::kChecksumLo: {
      state_ = State::kIdle;
      int lo = hex_digit(byte);
      int want = (want_hi_ > 0xf || lo < 0) ? -1 : want_hi_ * 16 + lo;
      if (want != sum_) {
        std::string detail = want < 0 ? "checksum is not two hex digits"
                                      : "checksum " + hex_le(static_cast<uint64_t>(want), 1) +
                                            ", payload sums to " + hex_le(sum_, 1);
        return ReaderEvent{K::kBadChecksum, std::move(raw_), std::move(detail)};
      }
      auto payload = unescape(raw_);
      if (!payload) return ReaderEvent{K::kBadChecksum, std::move(raw_), "payload ends in an escape"};
      return ReaderEvent{K::kPacket, std::move(*payload), {}};
    }
  }
  return std::nullopt;
}

std::string frame_packet(std::string_view payload) {
  std::string out = "$";
  uint8_t sum = 0;
  auto put = [&](char c) {
    out.push_back(c);
    sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  };
  for (char c : payload) {
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      put('}');
      put(static_cast<char>(c ^ 0x20));
    } else {
      put(c);
    }
  }
  out.push_back('#');
  out.push_back(kDigits[sum >> 4]);
  out.push_back(kDigits[sum & 0xf]);
  return out;
}

std::optional<std::string> unescape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '}') {
      out.push_back(raw[i]);
      continue;
    }
    if (++i == raw.size()) return std::nullopt;
    out.push_back(static_cast<char>(raw[i] ^ 0x20));
  }
  return out;
}

std::string to_hex(std::string_view bytes) { return eventlog::hex_bytes(bytes); }

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_digit(static_cast<uint8_t>(hex[i])), lo = hex_digit(static_cast<uint8_t>(hex[i + 1]));
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string hex_u64(uint64_t v) { return eventlog::hex_digits(v); }

std::optional<uint64_t> parse_hex_u64(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d = hex_digit(static_cast<uint8_t>(c));
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

std::string hex_le(uint64_t v, size_t bytes) {
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    uint8_t b = i < 8 ? static_cast<uint8_t>(v >> (8 * i)) : 0;
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace nestrr::gdbstub
