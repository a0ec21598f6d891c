// Live capture: raw bytes from a source go straight to the output file
// (unbuffered, so a capture killed at any moment leaves a readable log)
// and through a LogBuilder for live counters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/source.h"

namespace nestrr::eventlog {

struct CaptureProgress {
  uint64_t bytes = 0;
  uint64_t frames = 0;
  uint64_t damaged_frames = 0;
  uint64_t records_lost = 0;  // seq-gap loss seen so far
};

struct CaptureOptions {
  const std::atomic<bool>* stop = nullptr;  // set (e.g. from SIGINT) to end cleanly
  std::function<void(const CaptureProgress&)> progress;  // at most every progress_interval
  std::chrono::milliseconds progress_interval{200};
  std::optional<uint64_t> max_bytes;
  std::optional<std::chrono::milliseconds> timeout;  // total capture time
  bool append = false;  // append to an existing file instead of truncating
};

struct CaptureResult {
  enum class End { kEof, kStopped, kByteLimit, kTimeout } end = End::kEof;
  uint64_t bytes = 0;
  Log log;  // what the captured bytes decode to
};

// Throws std::runtime_error naming the file or source on I/O errors; the
// bytes written up to then stay in the file.
CaptureResult capture(Source& source, const std::filesystem::path& output,
                      const CaptureOptions& options = {});

}  // namespace nestrr::eventlog
