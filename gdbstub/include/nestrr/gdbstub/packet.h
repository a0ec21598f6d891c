// GDB remote serial protocol framing: `$payload#cs` packets, acks, the
// interrupt byte, `}` escapes. The reader is an explicit state machine with
// a bound on the payload; the writer escapes and never run-length encodes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nestrr::gdbstub {

// Payload bytes we accept in one packet (the PacketSize we announce).
inline constexpr size_t kMaxPacketBytes = 0x4000;

struct ReaderEvent {
  enum class Kind {
    kPacket,       // payload: the unescaped payload, checksum good
    kBadChecksum,  // payload: what arrived; `detail` names the checksums
    kOversized,    // more than the bound before '#': dropped
    kAck,          // '+'
    kNack,         // '-'
    kInterrupt,    // 0x03 outside a packet
  };
  Kind kind;
  std::string payload;
  std::string detail;
};

class PacketReader {
 public:
  explicit PacketReader(size_t max_payload = kMaxPacketBytes) : max_(max_payload) {}
  // One byte of the stream; an event when it completes one.
  std::optional<ReaderEvent> feed(uint8_t byte);
  // True while a packet is partly read (a client that vanishes here left
  // an unfinished packet).
  bool mid_packet() const { return state_ != State::kIdle; }

 private:
  enum class State { kIdle, kPayload, kSkipping, kSkipChecksum, kChecksumHi, kChecksumLo };
  State state_ = State::kIdle;
  size_t max_;
  std::string raw_;  // escaped bytes as they came (the checksum covers these)
  uint8_t sum_ = 0;
  int want_hi_ = 0;
  int skip_ = 0;
};

// `$payload#cs` with '#', '$', '}' and '*' escaped.
std::string frame_packet(std::string_view payload);
// Undoes `}` escapes; nullopt when a `}` ends the payload.
std::optional<std::string> unescape(std::string_view raw);

// Hex helpers the packets use.
std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);
std::string hex_u64(uint64_t v);  // "1f" (no leading zeros, "0" for 0)
std::optional<uint64_t> parse_hex_u64(std::string_view s);
// Little-endian target bytes of `v` (`bytes` long), as hex.
std::string hex_le(uint64_t v, size_t bytes);

}  // namespace nestrr::gdbstub
