// The replay's trace kept as a ring: the last `limit` entries in scheduler
// order, each slot reused in place, so that tracing a 10M-record replay
// costs a few stores per entry and no allocation once the ring is full.
#pragma once

#include <cstddef>
#include <vector>

#include "nestrr/replay/trace.h"

namespace nestrr::replay {

class TraceRing {
 public:
  // limit 0: keep every entry.
  explicit TraceRing(size_t limit = 0) : limit_(limit) {}

  // The slot for the next entry, its fields to be set by the caller (the
  // text keeps its old capacity: assign it, do not assume it is empty).
  TraceEntry& push() {
    if (!limit_ || slots_.size() < limit_) {
      slots_.emplace_back();
      return slots_.back();
    }
    TraceEntry& e = slots_[next_];
    next_ = next_ + 1 == limit_ ? 0 : next_ + 1;
    return e;
  }
  // The entry pushed last; the ring must not be empty.
  TraceEntry& back() {
    if (!limit_ || slots_.size() < limit_) return slots_.back();
    return slots_[next_ == 0 ? limit_ - 1 : next_ - 1];
  }
  bool empty() const { return slots_.empty(); }

  // The kept entries, oldest first.
  std::vector<TraceEntry> in_order() const {
    std::vector<TraceEntry> out;
    out.reserve(slots_.size());
    out.insert(out.end(), slots_.begin() + static_cast<long>(next_), slots_.end());
    out.insert(out.end(), slots_.begin(), slots_.begin() + static_cast<long>(next_));
    return out;
  }

 private:
  size_t limit_;
  size_t next_ = 0;  // the oldest entry once the ring is full
  std::vector<TraceEntry> slots_;
};

}  // namespace nestrr::replay
