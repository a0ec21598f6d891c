// A log's records in merge()'s order, read front to back in bounded
// memory: one reader per CPU over the log's bytes, each skipping the
// others' records, and the causal edges known beforehand from a summary
// (summary.h). The order is the whole read's: TSC where nothing else
// orders two records, a causal edge never broken unless the log
// contradicts itself, then broken at the earliest head as merge() does.
// Valid for a summary whose late_records is 0. Only the bytes the summary
// read are read again (a capture may still be appending to the file).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <tuple>
#include <utility>
#include <vector>

#include "nestrr/eventlog/log_stream.h"
#include "nestrr/eventlog/summary.h"

namespace nestrr::eventlog {

class MergedStream {
 public:
  // Opens the log's bytes afresh, from the start; called once per CPU.
  using Open = std::function<std::unique_ptr<std::istream>()>;
  MergedStream(const Open& open, const LogSummary& summary);
  ~MergedStream();

  // The next record in merged order; null at the end. Valid until the
  // next call.
  const Event* next();
  // Records given so far (may be read from another thread: progress).
  uint64_t given() const { return given_.load(std::memory_order_relaxed); }
  // Records whose causal predecessors were not all given before them.
  uint64_t cycles_broken() const { return cycles_broken_; }

 private:
  using Point = std::pair<uint32_t, uint64_t>;          // cpu, seq
  using Key = std::tuple<uint64_t, uint32_t, uint64_t, size_t>;  // tsc, cpu, seq, stream
  struct Cpu {
    uint32_t cpu = 0;
    std::unique_ptr<std::istream> in;
    std::unique_ptr<LogStream> stream;
  };
  const Event* head(size_t s);
  void offer(size_t s);

  std::vector<Cpu> cpus_;
  std::map<Point, uint32_t> pending_;              // records still waiting on predecessors
  std::multimap<Point, Point> successors_;         // edge source -> destinations
  std::priority_queue<Key, std::vector<Key>, std::greater<>> ready_;
  Event current_;
  std::atomic<uint64_t> given_{0};
  uint64_t cycles_broken_ = 0;
};

}  // namespace nestrr::eventlog
