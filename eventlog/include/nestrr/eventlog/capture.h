// Live capture: raw bytes from a source go straight to the output file
// (unbuffered, so a capture killed at any moment leaves a readable log)
// and through a LogBuilder for live counters. A relay that closes the
// connection can be reconnected to, the break marked in the log; a write
// that fails (disk full) ends the capture with what was written intact.
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

// The console line a capture writes where it reconnected: the newline
// before it ends a frame the break cut (so it reads as one damaged frame,
// not glued to what came after); records lost meanwhile show as seq gaps.
// Readers count these lines (Stats::capture_reconnects).
inline constexpr std::string_view kReconnectMark = "nestrr capture: reconnected";

struct CaptureOptions {
  const std::atomic<bool>* stop = nullptr;  // set (e.g. from SIGINT) to end cleanly
  std::function<void(const CaptureProgress&)> progress;  // at most every progress_interval
  std::chrono::milliseconds progress_interval{200};
  std::optional<uint64_t> max_bytes;
  std::optional<std::chrono::milliseconds> timeout;  // total capture time
  bool append = false;  // append to an existing file instead of truncating
  // When the source ends (a relay closed the connection), try to reopen it
  // every reconnect_interval for at most this long; the capture goes on if
  // it can. Unset: the end of the source ends the capture.
  std::optional<std::chrono::milliseconds> reconnect;
  std::chrono::milliseconds reconnect_interval{200};
  std::function<void(const std::string&)> notice;  // reconnects, said as they happen
  // Count the records as they come instead of keeping them: memory stays
  // bounded however long the capture runs, and `log` keeps each CPU's last
  // record only (see LogBuilder's RecordSink).
  bool counts_only = false;
};

struct CaptureResult {
  // kWriteFailed: the output could not take more bytes (disk full, file
  // size limit, I/O error): `error` says which, at which byte; every byte
  // before it is in the file, unchanged, and `log` is what they decode to.
  enum class End { kEof, kStopped, kByteLimit, kTimeout, kWriteFailed } end = End::kEof;
  uint64_t bytes = 0;      // in the file (reconnect marks included)
  uint64_t reconnects = 0;
  std::string error;       // kWriteFailed
  Log log;  // what the captured bytes decode to
  // counts_only: records that came after later ones of their CPU, left out
  // of the counts (reading the file counts them).
  uint64_t late_records = 0;
};

// Throws std::runtime_error naming the file or source when the output
// cannot be opened or the source fails; the bytes written up to then stay
// in the file.
CaptureResult capture(Source& source, const std::filesystem::path& output,
                      const CaptureOptions& options = {});

}  // namespace nestrr::eventlog
