// The capture loop: read, write(2) at once, feed the builder, report.
#include "nestrr/eventlog/capture.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "nestrr/eventlog/log_builder.h"

namespace nestrr::eventlog {
namespace {

class OutputFile {
 public:
  OutputFile(const std::filesystem::path& path, bool append) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd_ < 0) {
      throw std::runtime_error("cannot open capture output '" + path.string() + "': " + std::strerror(errno));
    }
  }
  ~OutputFile() { ::close(fd_); }
  void write_all(const uint8_t* data, size_t n, uint64_t at) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, data, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("writing capture output '" + path_.string() + "' at byte " +
                                 std::to_string(at) + ": " + std::strerror(errno));
      }
      data += w;
      n -= static_cast<size_t>(w);
      at += static_cast<uint64_t>(w);
    }
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace

CaptureResult capture(Source& source, const std::filesystem::path& output, const CaptureOptions& options) {
  using Clock = std::chrono::steady_clock;
  OutputFile file(output, options.append);
  LogBuilder builder;
  CaptureResult result;
  std::vector<uint8_t> buffer(64 * 1024);
  const auto start = Clock::now();
  auto last_progress = start;
  auto report = [&] {
    if (!options.progress) return;
    const auto& live = builder.live();
    options.progress(CaptureProgress{live.bytes, live.frames_ok, live.frames_damaged,
                                     live.records_lost_transport});
    last_progress = Clock::now();
  };
  const auto wait = std::chrono::milliseconds(50);
  for (;;) {
    if (options.stop && options.stop->load()) {
      result.end = CaptureResult::End::kStopped;
      break;
    }
    if (options.timeout && Clock::now() - start >= *options.timeout) {
      result.end = CaptureResult::End::kTimeout;
      break;
    }
    if (options.max_bytes && result.bytes >= *options.max_bytes) {
      result.end = CaptureResult::End::kByteLimit;
      break;
    }
    size_t want = buffer.size();
    if (options.max_bytes) want = static_cast<size_t>(std::min<uint64_t>(want, *options.max_bytes - result.bytes));
    const ReadResult r = source.read(std::span<uint8_t>(buffer.data(), want), wait);
    if (r.status == ReadResult::Status::kError) throw std::runtime_error("capture from " + r.error);
    if (r.status == ReadResult::Status::kEof) {
      result.end = CaptureResult::End::kEof;
      break;
    }
    if (r.status == ReadResult::Status::kData) {
      file.write_all(buffer.data(), r.bytes, result.bytes);
      result.bytes += r.bytes;
      builder.feed(std::span<const uint8_t>(buffer.data(), r.bytes));
    }
    if (Clock::now() - last_progress >= options.progress_interval) report();
  }
  report();
  result.log = builder.finish();
  return result;
}

}  // namespace nestrr::eventlog
