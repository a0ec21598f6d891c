// Incremental log assembly: bytes in, a Log out. Capture feeds it live and
// reads its counters while the stream is still running.
//
// Given a RecordSink, it reads in bounded memory: each CPU's records are
// settled (duplicates dropped, gaps counted) as their chunks arrive, handed
// to the sink in seq order and not kept; the Log keeps each CPU's last
// record only, and every count the whole read gives. That holds while each
// CPU's chunks arrive in seq order, as a logger sends them; a chunk that
// comes after later ones of its CPU (a spliced capture) cannot be settled
// so, and late_records() says how many records it held.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <span>
#include <string_view>

#include "nestrr/eventlog/frame_reader.h"
#include "nestrr/eventlog/log.h"

namespace nestrr::eventlog {

// Counters that are cheap to keep while bytes arrive.
struct LiveCounters {
  uint64_t bytes = 0;
  uint64_t frames_ok = 0;
  uint64_t frames_damaged = 0;
  uint64_t records = 0;
  // Seq-gap loss seen so far (chunks that arrive out of order can make this
  // an over-estimate until the log is finished).
  uint64_t records_lost_transport = 0;
  uint64_t records_dropped_logger = 0;
};

// Takes each record of a log read in bounded memory (see above).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // A settled record: each CPU's in seq order, each seq once.
  virtual void on_record(const Event& event) = 0;
  // A line of console text (the Log keeps only the first).
  virtual void on_console(const Event& /*line*/) {}
};

class LogBuilder : private FrameSink {
 public:
  // `sink`: read in bounded memory, giving the records to it (null: keep
  // them all in the Log). It must outlive the builder.
  explicit LogBuilder(RecordSink* sink = nullptr);
  ~LogBuilder() override;
  LogBuilder(const LogBuilder&) = delete;
  LogBuilder& operator=(const LogBuilder&) = delete;

  void feed(std::span<const uint8_t> bytes);
  void feed(std::string_view bytes);
  // Feeds what `in` holds, from where it stands to its end.
  void feed_all(std::istream& in);
  const LiveCounters& live() const { return live_; }
  // With a sink: records that came after their CPU had settled past them,
  // neither given to the sink nor counted. Nonzero means the counts of the
  // Log are not those of the whole read.
  uint64_t late_records() const { return late_records_; }
  // Ends the stream: sorts, removes duplicates, counts gaps and tail loss.
  // The builder is spent afterwards.
  Log finish();

 private:
  struct PendingCpu {
    EventVector events;  // read, not settled yet (with a sink: and the last settled one)
    std::optional<nestrr::v1::Trailer> trailer;
    uint64_t trailer_offset = 0;
    uint64_t next_expected = 0;  // live gap estimate
    bool seen = false;
    // What settling found so far.
    bool any = false;            // a record was kept
    uint64_t expected = 0;       // seq after the last kept record
    uint64_t kept = 0;           // records kept
    uint64_t first_offset = 0;   // of the first kept record
    uint64_t lost_transport = 0;
    uint64_t dropped_logger = 0;
    std::vector<SeqGap> gaps;
    // The gap before the first record, settled before any header said
    // whether the log is a flight recorder's (whose records start where
    // the ring had them, no loss): decided at finish().
    std::optional<SeqGap> first_gap_undecided;
    std::vector<Warning> warnings;  // conflicts, told at finish() in CPU order
    uint64_t warnings_over = 0;     // beyond Stats::kMaxWarnings
  };

  void on_frame(const Frame& frame) override;
  void on_text(const TextLine& line) override;
  void on_damage(const Damage& damage) override;

  void add_packet(nestrr::v1::Packet& packet, uint64_t offset);
  void add_header(const nestrr::v1::Header& header, uint64_t offset);
  void add_chunk(nestrr::v1::Packet& packet, uint64_t offset);
  void warn(uint64_t offset, std::string message);
  // Settles pending.events from `from` on (those before it are kept
  // already), compacting the kept ones to the front.
  void settle(uint32_t cpu, PendingCpu& pending, size_t from);
  // With a sink: settles what a chunk brought, gives all but the last kept
  // record to the sink.
  void settle_streamed(uint32_t cpu, PendingCpu& pending, size_t added);
  void finish_cpu(uint32_t cpu, PendingCpu& pending, CpuStream& out);
  void account_cut_tail();

  FrameReader reader_;
  Log log_;
  std::map<uint32_t, PendingCpu> cpus_;
  KeyFrameAssembler key_frames_;
  std::map<std::pair<std::string, int>, uint64_t> unknown_seen_;
  // Parsed into again for every frame: its cleared records are reused, so
  // a record costs one allocation (its event), not two plus a free.
  nestrr::v1::Packet packet_;
  LiveCounters live_;
  uint64_t last_tsc_ = 0;  // of the latest decoded record: places console text
  RecordSink* sink_ = nullptr;
  uint64_t late_records_ = 0;
  bool finished_ = false;
};

}  // namespace nestrr::eventlog
