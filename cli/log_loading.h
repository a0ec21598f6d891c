// Reading a long log so that a server can answer while it reads: its
// header first (the first frames), then the whole log a chunk at a time,
// saying how far it got and stopping when asked.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/summary.h"

namespace nestrr::cli {

struct LoadProgress {
  std::atomic<uint64_t> bytes{0}, total{0};
  std::atomic<const char*> phase{"reading"};
  // "reading: 12.0 of 40.3 MB", "replaying"
  std::string text() const;
};

// The header, from the first frames only; nullopt when they hold none.
// Throws std::runtime_error naming the path when it cannot be read.
std::optional<nestrr::v1::Header> read_log_header(const std::string& path);

// The whole log; throws std::runtime_error when it cannot be read or
// `cancel` was set.
eventlog::Log read_log_gradually(const std::string& path, LoadProgress& progress,
                                 const std::atomic<bool>& cancel);
// The same read in bounded memory, into a summary (eventlog/summary.h).
eventlog::LogSummary summarize_log_gradually(const std::string& path, LoadProgress& progress,
                                             const std::atomic<bool>& cancel, bool keep_console = false);

}  // namespace nestrr::cli
