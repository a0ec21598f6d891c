// Where a log's lost records could be: each LostRange placed in its CPU's
// seq order and in the merged timeline, so the checker can ask "could a
// record lost here lie between these two events?". Placed from a whole log
// and its timeline, or by a pass over the records in timeline order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nestrr/check/check.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"

namespace nestrr::check::detail {

// Every loss the log knows, placed: seq gaps (open ones included) and the
// logger's drops (RecordsLost records).
std::vector<LostRange> lost_ranges(const eventlog::Log& log);
// The same from the gaps and the RecordsLost records, by CPU, then seq.
std::vector<LostRange> lost_ranges(const std::vector<eventlog::SeqGap>& gaps,
                                   const std::vector<const eventlog::Event*>& records_lost);
// Loss the log cannot place on a CPU, in words; empty if none.
std::string unlocated_loss(const eventlog::Log& log);

// A lost range's neighbours in the timeline.
struct Placed {
  int64_t first = -1;          // position of the record before (-1: none)
  uint64_t last = UINT64_MAX;  // of the record after (UINT64_MAX: none)
};

// The timeline position of every event of a whole log.
class TimelinePositions {
 public:
  TimelinePositions(const eventlog::Log& log, const eventlog::Timeline& timeline);
  uint64_t operator()(eventlog::EventRef ref) const { return pos_[ref.stream][ref.index]; }

 private:
  std::vector<std::vector<uint64_t>> pos_;  // [stream][index]
};

// Placed in a whole log.
std::vector<Placed> place_lost(const eventlog::Log& log, const TimelinePositions& position,
                               const std::vector<LostRange>& lost);

// Placed as the records pass in timeline order, each CPU's in seq order.
class LostPlacer {
 public:
  explicit LostPlacer(const std::vector<LostRange>& lost);
  void see(uint32_t cpu, uint64_t seq, uint64_t position);
  std::vector<Placed> finish();

 private:
  struct Cpu {
    std::vector<size_t> by_after, by_before;  // ranges, by after_seq / before_seq
    size_t next_after = 0, next_before = 0;
    int64_t last_position = -1;               // of the CPU's latest record
  };
  const std::vector<LostRange>& lost_;
  std::map<uint32_t, Cpu> cpus_;
  std::vector<Placed> placed_;
};

class LostIndex {
 public:
  LostIndex(const std::vector<LostRange>& lost, std::vector<Placed> placed)
      : lost_(lost), placed_(std::move(placed)) {}

  // Ranges of `cpu` that could hold a record with a seq strictly between
  // `after` and `before`.
  std::vector<size_t> on_cpu_between(uint32_t cpu, uint64_t after, uint64_t before) const;
  // Ranges of any CPU whose records could fall strictly between timeline
  // positions `after` and `before`.
  std::vector<size_t> in_timeline_between(uint64_t after, uint64_t before) const;

 private:
  const std::vector<LostRange>& lost_;
  std::vector<Placed> placed_;  // per lost range
};

}  // namespace nestrr::check::detail
