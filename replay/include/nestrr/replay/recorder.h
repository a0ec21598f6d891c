// Record: the core on real host threads, one per CPU, with real asynchrony.
// NMIs are real-time signals sent to the target thread (pthread_kill); the
// signal handler notes the interrupted RIP (from the signal's ucontext) and
// latches the NMI, which the core takes at the thread's next yield point
// (platform.h, "NMIs"), so the log names exactly where it ran.
// Everything goes through the freestanding logger in stream mode, drained
// by the calling thread into `out`. A CPU whose ring is half full waits at
// its next yield point until the drain has caught up: no record is dropped
// however many CPUs share however few cores.
//
// The log ends honestly: every CPU either completes its workload, halts on
// an assertion, or is stopped at the entry of a yield point, where it logs
// a SyncPoint of KIND_CUT as its last record; the trailers follow.
#pragma once

#include <atomic>
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
  // When set and it becomes true (e.g. from a SIGINT handler), the
  // recording stops as at the time limit, with End::kInterrupted.
  const std::atomic<bool>* interrupt = nullptr;
};

struct RecordedAssertion {
  uint32_t cpu = 0;
  std::string condition, file;
  uint32_t line = 0;
  uint64_t progress = 0;
};

struct RecordResult {
  enum class End { kAssertion, kCompleted, kTimeLimit, kInterrupted } end = End::kCompleted;
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
