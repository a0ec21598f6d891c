// What replay must reproduce, taken from a log: the scenario, each CPU's
// records (normalized for comparison), where each NMI landed, and the
// order in which CPUs took each lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/replay/scenario.h"

namespace nestrr::replay {

struct ExpectedNmi {
  uint64_t progress = 0;  // NmiReceived.progress
  uint32_t source = 0;
  uint64_t index = 0;     // of its NmiReceived record in the CPU's stream
};

struct LockTurn {
  uint32_t cpu = 0;
  uint64_t progress = 0;
  uint64_t index = 0;     // of the SyncPoint record in the CPU's stream
};

// Where the recording stopped a CPU for good (SyncPoint KIND_CUT).
struct ExpectedCut {
  uint64_t progress = 0;  // the count of the point it entered last
  uint32_t point = 0;     // that point's id
  uint64_t index = 0;     // records before it (it is the last)
  uint64_t seq = 0;
};

// A CPU's records, normalized (event_check.h), each kept as its serialized
// bytes: a few bytes a record instead of a message object. Parsed again
// only to describe one.
class RecordTable {
 public:
  void push(const nestrr::v1::Record& normalized);
  // Room for `records` records of about `bytes` bytes in all.
  void reserve(size_t records, size_t bytes) {
    ends_.reserve(records);
    arena_.reserve(bytes);
  }
  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  std::string_view bytes(size_t i) const {
    size_t begin = i ? ends_[i - 1] : 0;
    return std::string_view(arena_).substr(begin, ends_[i] - begin);
  }
  nestrr::v1::Record record(size_t i) const;

 private:
  std::string arena_;
  std::vector<size_t> ends_;
};

struct ExpectedCpu {
  RecordTable records;                      // normalized
  std::vector<uint64_t> seqs;
  std::vector<uint64_t> tscs;               // recorded TSC (scheduling hint)
  std::vector<ExpectedNmi> nmis;            // in delivery order
  std::optional<ExpectedCut> cut;           // none: ran to its end or halted
};

// Where the replay of a flight log whose rings wrapped starts: one of its
// key frames, the state the core resumes from (eventlog/key_frame.h).
struct ResumePoint {
  uint64_t key_frame_id = 0;
  std::vector<uint64_t> next_seq;         // per CPU: its first record replayed
  std::vector<uint8_t> core_image;        // a struct core
  uint64_t phys_bytes = 0;
  std::map<uint64_t, std::string> phys;   // non-zero pieces of machine memory
  uint64_t records_before = 0;            // kept in the log but before it
};

struct ExpectedLog {
  Scenario scenario;
  std::optional<ResumePoint> resume;  // none: from the start of the run
  std::vector<ExpectedCpu> cpus;
  // Per lock id, acquisitions in recorded order (TSC order: a release is
  // logged before the lock is given back, an acquisition after it is
  // taken, so the clock order of two acquisitions is their real order).
  std::map<uint32_t, std::vector<LockTurn>> lock_order;
};

// The first format version whose NMI positions and CPU ends are exact.
inline constexpr uint32_t kReplayFormatVersion = 2;

// Throws std::invalid_argument when the log cannot be replayed. A flight
// log whose rings wrapped replays from the oldest key frame whose following
// records are all in the log; without one it is refused, saying why.
ExpectedLog expected_from(const eventlog::Log& log);

}  // namespace nestrr::replay
