// A whole decoded log: header, per-CPU event streams in sequence order,
// console text, loss and damage accounting.
#pragma once

#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/bulk_allocator.h"
#include "nestrr/eventlog/damage.h"
#include "nestrr/eventlog/event.h"
#include "nestrr/eventlog/key_frame.h"
#include "nestrr/eventlog/stats.h"

namespace nestrr::eventlog {

// Schema version this reader was written for.
inline constexpr uint32_t kFormatVersion = 4;

// A CPU's records: the bulk of a log's memory, in huge pages when large.
using EventVector = std::vector<Event, BulkAllocator<Event>>;

struct CpuStream {
  uint32_t cpu = 0;
  EventVector events;  // sorted by seq, no duplicates
  // Records given to a RecordSink and not kept (a log read in bounded
  // memory keeps each CPU's last record only); 0 for a whole read.
  uint64_t streamed = 0;
  uint64_t record_count() const { return streamed + events.size(); }
  std::optional<nestrr::v1::Trailer> trailer;
  uint64_t records_lost_transport = 0;
  uint64_t records_dropped_logger = 0;  // sum of this CPU's RecordsLost
};

// Position of one event: streams[stream].events[index].
struct EventRef {
  uint32_t stream = 0;
  uint32_t index = 0;
  friend bool operator==(const EventRef&, const EventRef&) = default;
};

struct Log {
  std::optional<nestrr::v1::Header> header;  // first one seen
  std::vector<CpuStream> streams;            // ascending CPU id
  std::vector<Event> console;                // ConsoleText events, kNoCpu (read in bounded
                                             // memory: the first line only)
  std::vector<Damage> damage;
  std::vector<SeqGap> gaps;
  std::vector<KeyFrame> key_frames;          // flight recorder, ascending id
  Stats stats;

  const Event& at(EventRef ref) const { return streams[ref.stream].events[ref.index]; }
  const CpuStream* find_cpu(uint32_t cpu) const;
  uint64_t event_count() const;  // records, streamed ones included
  // TSC rate from the header, 0 if unknown.
  uint64_t tsc_hz() const { return header ? header->tsc_hz() : 0; }
};

// Reads a whole stream. Never fails on content: damage is in the result.
Log read_log(std::istream& in);
// Throws std::runtime_error naming the path if it cannot be opened or read.
Log read_log_file(const std::filesystem::path& path);

}  // namespace nestrr::eventlog
