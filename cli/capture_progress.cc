// The live capture progress line (see capture_progress.h).
#include "capture_progress.h"

#include <unistd.h>

#include <cstdio>

namespace nestrr::cli {

std::function<void(const eventlog::CaptureProgress&)> capture_progress_line(bool quiet) {
  if (quiet || !isatty(STDERR_FILENO)) return {};
  return [](const eventlog::CaptureProgress& p) {
    std::fprintf(stderr, "\r%llu bytes  %llu frames  %llu damaged  %llu records lost   ",
                 static_cast<unsigned long long>(p.bytes), static_cast<unsigned long long>(p.frames),
                 static_cast<unsigned long long>(p.damaged_frames),
                 static_cast<unsigned long long>(p.records_lost));
  };
}

void end_capture_progress_line(const std::function<void(const eventlog::CaptureProgress&)>& line) {
  if (line) std::fputc('\n', stderr);
}

}  // namespace nestrr::cli
