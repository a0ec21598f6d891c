// Record: the core on real host threads, one per CPU, with real asynchrony.
// NMIs are real-time signals sent to the target thread (pthread_kill); the
// handler runs the core's NMI handler on that thread wherever it was, logs
// the interrupted RIP (from the signal's ucontext) and the CPU's progress.
// Everything goes through the freestanding logger in stream mode, drained
// by the calling thread into `out`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "nestrr/replay/scenario.h"

namespace nestrr::replay {

struct RecordProgress {
  std::chrono::milliseconds elapsed{0};
  std::vector<uint64_t> iterations;  // per CPU, workload iterations done
  uint64_t nmis = 0;                 // NMIs taken, all CPUs
  uint64_t bytes = 0;                // log bytes written
};

struct RecordOptions {
  Scenario scenario;  // scenario.origin is set to "record"
  std::chrono::milliseconds time_limit{10'000};
  // Called from the calling thread about every progress_interval.
  std::function<void(const RecordProgress&)> progress;
  std::chrono::milliseconds progress_interval{100};
  uint32_t ring_bytes = 4u << 20;  // logger ring per CPU (power of two)
  // False: run the same scenario without logging its events (assertions
  // are still logged), to measure what logging costs. Such a log cannot be
  // replayed.
  bool log_events = true;
};

struct RecordedAssertion {
  uint32_t cpu = 0;
  std::string condition, file;
  uint32_t line = 0;
  uint64_t progress = 0;
};

struct RecordResult {
  enum class End { kAssertion, kCompleted, kTimeLimit } end = End::kCompleted;
  std::optional<RecordedAssertion> assertion;
  RecordProgress final;
  uint64_t records_dropped = 0;  // by the logger (ring full): replay needs 0
};

const char* end_name(RecordResult::End end);

// Runs the scenario until an assertion fails, every workload completes or
// the time limit passes; then stops all CPUs, drains the log and writes the
// trailers. One recording at a time per process (NMIs are process-wide
// signal handling): a second concurrent call throws std::logic_error.
// Throws std::invalid_argument for an unusable scenario.
RecordResult record(const RecordOptions& options, std::ostream& out);

}  // namespace nestrr::replay
