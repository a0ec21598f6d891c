// Named counters of what reading a log found: nothing the reader drops or
// doubts goes uncounted.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "nestrr/eventlog/damage.h"

namespace nestrr::eventlog {

// Sequence numbers [from, to) of one CPU that never arrived.
struct SeqGap {
  uint32_t cpu = 0;
  uint64_t from = 0;
  uint64_t to = 0;
  uint64_t count() const { return to - from; }
  uint64_t stream_offset = 0;  // where the gap was noticed
  bool tail = false;           // found through the CPU's trailer
  // The stream ended, without the CPU's trailer, after damage that may
  // have held its records: [from, to) is lost for certain (to == from
  // when nothing says so), and any records from `to` on may be lost too.
  bool open = false;
};

struct Warning {
  uint64_t stream_offset = 0;
  std::string message;
};

struct Stats {
  uint64_t bytes = 0;         // whole stream
  uint64_t frame_bytes = 0;   // in good frames
  uint64_t damaged_bytes = 0; // in damage reports
  uint64_t text_bytes = 0;    // everything else: console text
  uint64_t text_lines = 0;

  uint64_t frames_ok = 0;     // frames that decoded into a Packet
  uint64_t frames_repaired = 0;  // of those: "~N" mark damaged, rest whole
  std::array<uint64_t, kDamageKinds> frames_damaged{};  // by DamageKind
  uint64_t resyncs = 0;       // damage reports: the reader started over

  uint64_t headers = 0;
  uint64_t chunks = 0;
  uint64_t trailers = 0;
  uint64_t key_frame_pieces = 0;     // KeyFramePiece packets (log.key_frames)
  uint64_t records = 0;              // distinct records kept
  uint64_t duplicate_records = 0;    // same CPU+seq+content seen again
  uint64_t conflicting_records = 0;  // same CPU+seq, different content (kept first)
  uint64_t records_lost_transport = 0;  // seq gaps, tail included
  uint64_t records_dropped_logger = 0;  // sum of RecordsLost
  uint64_t unknown_fields = 0;          // occurrences; first of each in warnings
  uint64_t capture_reconnects = 0;      // console lines a capture wrote where it reconnected

  std::vector<Warning> warnings;
  uint64_t warnings_suppressed = 0;  // beyond kMaxWarnings

  static constexpr size_t kMaxWarnings = 1000;

  uint64_t frames_damaged_total() const;
  uint64_t damaged(DamageKind kind) const { return frames_damaged[static_cast<int>(kind)]; }
  // Any loss or damage at all (for --strict style checks).
  bool clean() const;
};

}  // namespace nestrr::eventlog
