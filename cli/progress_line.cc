// The progress line of a long step (see progress_line.h).
#include "progress_line.h"

#include <unistd.h>

#include <cstdio>

namespace nestrr::cli {

ProgressLine::ProgressLine(std::function<std::string()> text, std::chrono::milliseconds show_after)
    : text_(std::move(text)) {
  if (isatty(STDERR_FILENO)) thread_ = std::thread([this, show_after] { run(show_after); });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  // Back to the start of the line and clear it: the command's own output
  // (stdout may be the same terminal) starts on a clean line.
  if (shown_) std::fputs("\r\033[K", stderr);
}

void ProgressLine::run(std::chrono::milliseconds show_after) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (wake_.wait_for(lock, show_after, [this] { return stop_; })) return;
  do {
    std::fprintf(stderr, "\r\033[K%s", text_().c_str());
    std::fflush(stderr);
    shown_ = true;
  } while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; }));
}

}  // namespace nestrr::cli
