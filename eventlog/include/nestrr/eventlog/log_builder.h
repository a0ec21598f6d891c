// Incremental log assembly: bytes in, a Log out. Capture feeds it live and
// reads its counters while the stream is still running.
#pragma once

#include <cstdint>
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

class LogBuilder : private FrameSink {
 public:
  LogBuilder();
  ~LogBuilder() override;
  LogBuilder(const LogBuilder&) = delete;
  LogBuilder& operator=(const LogBuilder&) = delete;

  void feed(std::span<const uint8_t> bytes);
  void feed(std::string_view bytes);
  const LiveCounters& live() const { return live_; }
  // Ends the stream: sorts, removes duplicates, counts gaps and tail loss.
  // The builder is spent afterwards.
  Log finish();

 private:
  struct PendingCpu {
    EventVector events;
    std::optional<nestrr::v1::Trailer> trailer;
    uint64_t trailer_offset = 0;
    uint64_t next_expected = 0;  // live gap estimate
    bool seen = false;
  };

  void on_frame(const Frame& frame) override;
  void on_text(const TextLine& line) override;
  void on_damage(const Damage& damage) override;

  void add_packet(nestrr::v1::Packet& packet, uint64_t offset);
  void add_header(const nestrr::v1::Header& header, uint64_t offset);
  void add_chunk(nestrr::v1::Packet& packet, uint64_t offset);
  void warn(uint64_t offset, std::string message);
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
  bool finished_ = false;
};

}  // namespace nestrr::eventlog
