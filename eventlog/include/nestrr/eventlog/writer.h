// Writes nestrr packets as frames (docs/format.md) to a stream or callback:
// for tests, demos and host-side recording.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <span>
#include <string_view>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/event.h"

namespace nestrr::eventlog {

// Where one written frame sits in the output, and what it carried.
struct WrittenFrame {
  uint64_t offset = 0;
  uint64_t length = 0;  // including the final '\n'
  bool is_chunk = false;
  uint32_t cpu = 0;
  uint64_t first_seq = 0;
  uint64_t records = 0;
};

class StreamWriter {
 public:
  using Output = std::function<void(std::string_view)>;
  explicit StreamWriter(Output out);
  explicit StreamWriter(std::ostream& out);

  void header(const nestrr::v1::Header& header);
  // Records in wire form (dt and guest_rip_delta relative, as the schema
  // says). Split into as many frames as the payload bound needs; each split
  // is re-based so every chunk decodes on its own. Returns frames written.
  // Throws std::length_error if one record alone exceeds a frame.
  size_t chunk(uint32_t cpu, uint64_t first_seq, uint64_t tsc_base,
               std::span<const nestrr::v1::Record> records);
  // Same from decoded events (absolute tsc and guest_rip) of one CPU with
  // consecutive sequence numbers; throws std::invalid_argument otherwise.
  size_t chunk(std::span<const Event> events);
  void trailer(uint32_t cpu, uint64_t next_seq, uint64_t dropped = 0);
  // One packet as one frame; throws std::length_error if it is too big.
  void packet(const nestrr::v1::Packet& packet);
  // A console text line (a '\n' is added).
  void text(std::string_view line);

  uint64_t bytes_written() const { return offset_; }
  const std::vector<WrittenFrame>& frames() const { return frames_; }

 private:
  void emit(std::string_view bytes);
  void frame(const nestrr::v1::Packet& packet);

  Output out_;
  uint64_t offset_ = 0;
  std::vector<WrittenFrame> frames_;
};

}  // namespace nestrr::eventlog
