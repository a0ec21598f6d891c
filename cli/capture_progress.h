// The live progress line of commands that capture a stream (capture,
// testbox): bytes, frames, damage and loss so far, rewritten in place on
// stderr while it is a terminal.
#pragma once

#include <functional>

#include "nestrr/eventlog/capture.h"

namespace nestrr::cli {

// The progress callback, or an empty one when `quiet` or stderr is not a
// terminal (then nothing is printed).
std::function<void(const eventlog::CaptureProgress&)> capture_progress_line(bool quiet);

// Ends the line once the capture is over (a no-op if none was shown).
void end_capture_progress_line(const std::function<void(const eventlog::CaptureProgress&)>& line);

}  // namespace nestrr::cli
