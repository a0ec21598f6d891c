// Where a log's lost records could be: each LostRange placed in its CPU's
// seq order and in the merged timeline, so the checker can ask "could a
// record lost here lie between these two events?".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nestrr/check/check.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"

namespace nestrr::check::detail {

// Every loss the log knows, placed: seq gaps (open ones included) and the
// logger's drops (RecordsLost records).
std::vector<LostRange> lost_ranges(const eventlog::Log& log);
// Loss the log cannot place on a CPU, in words; empty if none.
std::string unlocated_loss(const eventlog::Log& log);

class LostIndex {
 public:
  LostIndex(const eventlog::Log& log, const eventlog::Timeline& timeline,
            const std::vector<LostRange>& lost);

  // Position of an event in the timeline.
  uint64_t position(eventlog::EventRef ref) const { return pos_[ref.stream][ref.index]; }
  // Ranges of `cpu` that could hold a record with a seq strictly between
  // `after` and `before`.
  std::vector<size_t> on_cpu_between(uint32_t cpu, uint64_t after, uint64_t before) const;
  // Ranges of any CPU whose records could fall strictly between timeline
  // positions `after` and `before`.
  std::vector<size_t> in_timeline_between(uint64_t after, uint64_t before) const;

 private:
  struct Placed {
    int64_t first = -1;        // timeline position of the record before (-1: none)
    uint64_t last = UINT64_MAX;  // of the record after (UINT64_MAX: none)
  };
  const std::vector<LostRange>& lost_;
  std::vector<std::vector<uint64_t>> pos_;  // [stream][index]
  std::vector<Placed> placed_;              // per lost range
};

}  // namespace nestrr::check::detail
