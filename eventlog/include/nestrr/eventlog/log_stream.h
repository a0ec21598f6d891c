// A log read front to back in bounded memory, for a consumer that takes
// each CPU's records once, in seq order (replay): bytes are read and
// decoded only as far as the CPU asked for needs, and a record is freed
// once taken. What is held at any time is the stretch by which the CPUs'
// chunks are out of step in the stream (for a streamed log, about a ring's
// worth per CPU), not the log.
//
// Unlike read_log, it cannot reorder: a chunk that arrives after later
// ones of its CPU (a spliced capture) is counted as duplicate or late and
// dropped, and the records it missed show as a gap. Damage is reported as
// it is met; loss shows where the consumer meets it, as a seq gap.
#pragma once

#include <cstdint>
#include <deque>
#include <istream>
#include <map>
#include <optional>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/damage.h"
#include "nestrr/eventlog/event.h"
#include "nestrr/eventlog/frame_reader.h"

namespace nestrr::eventlog {

class LogStream : private FrameSink {
 public:
  // Reads `in` from where it stands; `in` must outlive the stream. With
  // `only_cpu`, the records of other CPUs are skipped, not queued (their
  // chunks not even parsed); with
  // `max_bytes`, no more than that is read (a file that grows while it is
  // read again: what a first pass saw).
  explicit LogStream(std::istream& in, std::optional<uint32_t> only_cpu = std::nullopt,
                     uint64_t max_bytes = UINT64_MAX);
  ~LogStream() override;
  LogStream(const LogStream&) = delete;
  LogStream& operator=(const LogStream&) = delete;

  // The first header, reading until one comes; null if the log has none.
  const nestrr::v1::Header* header();
  // The CPU's next record in seq order, reading on as far as needed; null
  // once its stream is over (the end of the log). The seq of a record can
  // be past the one expected: the records between were lost.
  Event* front(uint32_t cpu);
  void pop(uint32_t cpu);
  // The CPU's trailer, once read (at the latest when front() gave null).
  const nestrr::v1::Trailer* trailer(uint32_t cpu) const;
  // Every frame that could not be used, so far.
  const std::vector<Damage>& damage() const { return damage_; }
  uint64_t bytes_read() const { return reader_.bytes_fed(); }
  uint64_t records_read() const { return records_; }
  // Records dropped because their CPU was already past them.
  uint64_t duplicates() const { return duplicates_; }
  // Records queued now, all CPUs: what the stream holds.
  uint64_t queued() const { return queued_; }

 private:
  struct Cpu {
    std::deque<Event> queue;
    uint64_t next_push = 0;  // seq after the last queued
    bool seen = false;
    std::optional<nestrr::v1::Trailer> trailer;
  };

  // Reads one block; false at the end of the input.
  bool read_block();
  void on_frame(const Frame& frame) override;
  void on_text(const TextLine&) override {}
  void on_damage(const Damage& damage) override { damage_.push_back(damage); }

  std::istream& in_;
  std::optional<uint32_t> only_cpu_;
  uint64_t left_;  // bytes it may still read
  FrameReader reader_;
  std::vector<char> block_;
  bool eof_ = false;
  std::optional<nestrr::v1::Header> header_;
  std::map<uint32_t, Cpu> cpus_;
  std::vector<Damage> damage_;
  nestrr::v1::Packet packet_;  // parsed into again for every frame
  uint64_t records_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t queued_ = 0;
};

}  // namespace nestrr::eventlog
