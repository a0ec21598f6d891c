// The fast way through a log, for consumers that look at every record once
// in time order (statistics, exports, benchmarks): frames decoded in bulk,
// packets walked on the wire with no protobuf message per record, VM exits
// straight from their columns into plain fields, and the CPUs merged by
// TSC as they stream, in bounded memory.
//
// A record other than a VM exit keeps its Record bytes (parse them with
// record() when needed). What a whole-log read gives besides (sorting of
// spliced captures, causal edges between CPUs, key frames) is read_log's
// and merge's.
#pragma once

#include <cstdint>
#include <deque>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/damage.h"
#include "nestrr/eventlog/frame_reader.h"

namespace nestrr::eventlog {

struct ScanRecord {
  uint64_t tsc = 0;
  uint64_t seq = 0;
  uint32_t cpu = 0;
  uint32_t kind = 0;  // the Record event's field number (Record::EventCase)
  // kind == Record::kVmExit:
  uint32_t reason = 0;
  bool from_l2 = false;
  uint64_t qualification = 0;
  uint64_t guest_rip = 0;  // absolute
  // Other kinds: the Record's bytes (its dt relative to the chunk).
  std::string_view bytes;
  // The record as a message, dt cleared; a VM exit's guest_rip_delta holds
  // the absolute guest RIP (as replay's normalized records do).
  nestrr::v1::Record record() const;
};

// Decodes one chunk packet's payload into records, appended to `out`, in
// the chunk's order (bytes of non-exit records point into `payload`).
// Returns false with `*why` when the packet does not hold together; then
// `out` is as it was. Header, trailer and key-frame pieces are left to the
// caller (`*kinds` says which the packet carries).
struct PacketParts {
  bool header = false, trailer = false, key_frame = false, chunk = false;
};
bool scan_packet(std::string_view payload, std::vector<ScanRecord>* out, PacketParts* parts,
                 std::string* why);

struct ScanStats {
  uint64_t bytes = 0;
  uint64_t frames = 0;
  uint64_t records = 0;
  uint64_t lost_transport = 0;    // seq gaps between a CPU's chunks
  uint64_t duplicates = 0;        // records a CPU had already passed
  uint64_t out_of_window = 0;     // records older than one already given, once the
                                  // window made the merge stop waiting for a quiet CPU
  std::vector<Damage> damage;
};

class LogScanner : private FrameSink {
 public:
  // Input is read in large blocks and decoded in slices of this many
  // bytes, so that the merge can stop decoding as soon as it may give.
  static constexpr size_t kSlice = 4096;

  // Reads `in` from where it stands; `in` must outlive the scanner. At most
  // `window` records (and what one slice of input holds) wait for a quiet
  // CPU before the merge gives up waiting (later, older records then count
  // as out_of_window).
  explicit LogScanner(std::istream& in, size_t window = size_t{1} << 20);
  ~LogScanner() override;
  LogScanner(const LogScanner&) = delete;
  LogScanner& operator=(const LogScanner&) = delete;

  // The first header (reads until one comes); null if the log has none.
  const nestrr::v1::Header* header();
  // The next record in TSC order (each CPU's in seq order); null at the end.
  // Valid until the next call.
  const ScanRecord* next();
  const ScanStats& stats() const { return stats_; }
  // Trailers read so far, by CPU.
  const std::map<uint32_t, nestrr::v1::Trailer>& trailers() const { return trailers_; }
  // Records queued now: what the merge holds.
  size_t queued() const { return queued_; }

 private:
  // One frame's records as decoded; the payload is kept when records
  // point into it.
  struct Chunk {
    std::vector<ScanRecord> records;
    std::vector<char> payload;
  };
  // Where a CPU's queue is being given: its front chunk's next record and
  // end, and how many records it queues in all. Flat, by CPU id, so that
  // giving a record touches no deque.
  struct Cursor {
    const ScanRecord* next = nullptr;
    const ScanRecord* end = nullptr;
    size_t queued = 0;
  };
  struct Cpu {
    std::deque<Chunk> chunks;       // in seq order; the front one is being given
    uint64_t next_seq = 0;
    bool seen = false;              // named by the header, or sent records
    bool seen_records = false;
    bool ended = false;             // its trailer came
    bool quiet = false;             // counted in quiet_

    // Moved, never copied, when the table grows: queued records point into
    // their chunk's payload, and a copy would leave them pointing at the
    // old one (std::deque's move is not noexcept, so without this the
    // vector would copy).
    Cpu() = default;
    Cpu(Cpu&&) = default;
    Cpu& operator=(Cpu&&) = default;
    Cpu(const Cpu&) = delete;
    Cpu& operator=(const Cpu&) = delete;
  };
  // Decodes the next slice of input; false at its end.
  bool read_slice();
  // A CPU that may still send records with an older TSC than the head:
  // seen, no trailer yet, nothing queued.
  bool waiting_on_quiet_cpu() const { return quiet_ > 0; }
  void set_quiet(Cpu& c, bool quiet);
  void take_given();
  void next_chunk(size_t cpu);
  const ScanRecord* give(size_t cpu, uint64_t tsc);
  void grow(uint32_t cpus);
  // The merge's tournament: a node holds a CPU's head as one key, TSC
  // above CPU id (so that on a tie the lower id is older); leaf i (at
  // leaves_ + i) is CPU i, each inner node the older of its two children,
  // node 1 the oldest of all. A changed head replays only its own path to
  // the root, log2(CPUs) matches, each against a sibling already known.
  using HeadKey = unsigned __int128;
  static HeadKey head_key(uint64_t tsc, size_t cpu) { return (HeadKey{tsc} << 32) | cpu; }
  void set_head(size_t cpu, uint64_t tsc);
  void on_frame(const Frame& frame) override;
  void on_text(const TextLine&) override {}
  void on_damage(const Damage& damage) override { stats_.damage.push_back(damage); }

  std::istream& in_;
  FrameReader reader_;
  std::vector<char> block_;
  size_t block_pos_ = 0, block_len_ = 0;
  bool eof_ = false;
  size_t window_;
  std::optional<nestrr::v1::Header> header_;
  std::map<uint32_t, nestrr::v1::Trailer> trailers_;
  std::vector<Cpu> cpus_;           // by CPU id
  std::vector<Cursor> cursors_;     // by CPU id
  // The tournament (above), 2 * leaves_ nodes; an empty queue's head is
  // the largest TSC (so are the leaves past the last CPU).
  std::vector<HeadKey> tournament_;
  size_t leaves_ = 0;               // a power of two
  size_t quiet_ = 0;
  std::vector<ScanRecord> scratch_;
  std::vector<Chunk> spare_;        // given chunks, kept for their capacity
  int given_cpu_ = -1;              // the CPU whose record next() gave last
  uint64_t last_tsc_ = 0;   // the newest TSC given so far
  bool forced_ = false;     // the window made the merge stop waiting once
  size_t queued_ = 0;
  ScanStats stats_;
};

}  // namespace nestrr::eventlog
