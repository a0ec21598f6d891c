// A progress line on stderr for a command's long step (reading a large
// log): rewritten in place a few times a second while stderr is a
// terminal, shown only once the step has taken long enough to notice, and
// erased when the step is over, so that nothing of it stays in the output.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace nestrr::cli {

class ProgressLine {
 public:
  // Calls `text` from its own thread: it must be safe to call while the
  // step runs (read atomics). Does nothing when stderr is not a terminal.
  explicit ProgressLine(std::function<std::string()> text,
                        std::chrono::milliseconds show_after = std::chrono::milliseconds(300));
  // Stops and erases the line.
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void run(std::chrono::milliseconds show_after);

  std::function<std::string()> text_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool shown_ = false;
  std::thread thread_;
};

}  // namespace nestrr::cli
