// A streamed log as a replay source, read front to back (eventlog's
// LogStream): each CPU's records are normalized when the replay reaches
// them and freed once it is past them, so a replay holds a few rings'
// worth of records however long the log is. Loss shows where the replay
// meets it, as a record of role kLost on the CPU it concerns.
#pragma once

#include <cstdint>
#include <deque>
#include <istream>
#include <string>
#include <vector>

#include "expected_log.h"
#include "nestrr/eventlog/log_stream.h"

namespace nestrr::replay {

class ExpectedStream final : public ExpectedSource {
 public:
  // Reads up to the header. Throws std::invalid_argument when the log
  // cannot be replayed this way: no header or scenario, a format before
  // version 3 (no lock tickets), or a flight-recorder dump (its key frames
  // come last). Read those whole (ExpectedLog).
  explicit ExpectedStream(std::istream& in);

  const Scenario& scenario() const override { return scenario_; }
  const ResumePoint* resume() const override { return nullptr; }
  const ExpectedRecord* at(uint32_t cpu, uint64_t index) override;
  void release(uint32_t cpu, uint64_t index) override;
  uint64_t seq_at(uint32_t cpu, uint64_t index) override;

  // Records held now (all CPUs), and the most held at once: what the
  // bound on memory is about.
  uint64_t held() const;
  uint64_t held_peak() const { return held_peak_; }
  const eventlog::LogStream& log() const { return stream_; }

 private:
  struct Item {
    ExpectedRecord record;
    std::string bytes;  // record.bytes or record.note point here
  };
  struct Cpu {
    std::deque<Item> items;  // stable addresses: only ends change
    uint64_t base = 0;       // index of items.front()
    uint64_t expect = 0;     // seq of the next record to read
    bool done = false;       // the stream gave its last (or lost) record
  };
  // Appends the CPU's next item; false at the end of its stream.
  bool pull(uint32_t cpu);
  void push_lost(Cpu& c, std::string note);

  eventlog::LogStream stream_;
  Scenario scenario_;
  std::vector<Cpu> cpus_;
  uint64_t held_peak_ = 0;
  uint64_t pulls_ = 0;
};

}  // namespace nestrr::replay
