// The capture loop: read, write(2) at once, feed the builder, report;
// reopen a source that closed, when asked; stop cleanly on a failed write.
#include "nestrr/eventlog/capture.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>
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
  // Writes what it can; returns how many bytes of `data` are in the file,
  // with the reason in `error` when not all.
  size_t write_all(const uint8_t* data, size_t n, uint64_t at, std::string* error) {
    size_t done = 0;
    while (done < n) {
      const ssize_t w = ::write(fd_, data + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        *error = "writing capture output '" + path_.string() + "' at byte " +
                 std::to_string(at + done) + ": " + std::strerror(errno);
        return done;
      }
      done += static_cast<size_t>(w);
    }
    return done;
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace

CaptureResult capture(Source& source, const std::filesystem::path& output, const CaptureOptions& options) {
  using Clock = std::chrono::steady_clock;
  OutputFile file(output, options.append);
  struct CountOnly : RecordSink {
    void on_record(const Event&) override {}
  } count_only;
  LogBuilder builder(options.counts_only ? &count_only : nullptr);
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
  // Into the file, then the builder: the builder sees exactly the file.
  auto keep = [&](const uint8_t* data, size_t n) {
    const size_t written = file.write_all(data, n, result.bytes, &result.error);
    result.bytes += written;
    builder.feed(std::span<const uint8_t>(data, written));
    return written == n;
  };
  auto stopping = [&] {
    if (options.stop && options.stop->load()) {
      result.end = CaptureResult::End::kStopped;
      return true;
    }
    if (options.timeout && Clock::now() - start >= *options.timeout) {
      result.end = CaptureResult::End::kTimeout;
      return true;
    }
    return false;
  };
  // The source ended: reopen it within options.reconnect, marking the break.
  auto reconnect = [&]() -> bool {
    if (!options.reconnect) return false;
    const auto lost = Clock::now();
    const uint64_t at = result.bytes;
    std::string why;
    while (Clock::now() - lost < *options.reconnect) {
      if (source.reopen(&why)) {
        const double secs = std::chrono::duration<double>(Clock::now() - lost).count();
        char mark[160];
        std::snprintf(mark, sizeof mark, "\n%.*s after %.1f s (connection lost at byte %llu)\n",
                      static_cast<int>(kReconnectMark.size()), kReconnectMark.data(), secs,
                      static_cast<unsigned long long>(at));
        ++result.reconnects;
        if (options.notice) options.notice(std::string(mark + 1, std::strlen(mark) - 2));
        keep(reinterpret_cast<const uint8_t*>(mark), std::strlen(mark));
        return true;
      }
      if (stopping()) return false;
      std::this_thread::sleep_for(options.reconnect_interval);
    }
    if (options.notice) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(options.reconnect->count()) / 1000);
      options.notice("gave up reconnecting to " + source.describe() + " after " + secs + " s: " + why);
    }
    return false;
  };
  const auto wait = std::chrono::milliseconds(50);
  for (;;) {
    if (!result.error.empty()) {
      result.end = CaptureResult::End::kWriteFailed;
      break;
    }
    if (stopping()) break;
    if (options.max_bytes && result.bytes >= *options.max_bytes) {
      result.end = CaptureResult::End::kByteLimit;
      break;
    }
    size_t want = buffer.size();
    if (options.max_bytes) want = static_cast<size_t>(std::min<uint64_t>(want, *options.max_bytes - result.bytes));
    const ReadResult r = source.read(std::span<uint8_t>(buffer.data(), want), wait);
    if (r.status == ReadResult::Status::kError) throw std::runtime_error("capture from " + r.error);
    if (r.status == ReadResult::Status::kEof) {
      if (reconnect()) continue;
      if (result.end != CaptureResult::End::kStopped && result.end != CaptureResult::End::kTimeout)
        result.end = CaptureResult::End::kEof;
      break;
    }
    if (r.status == ReadResult::Status::kData) keep(buffer.data(), r.bytes);
    if (Clock::now() - last_progress >= options.progress_interval) report();
  }
  report();
  result.log = builder.finish();
  result.late_records = builder.late_records();
  return result;
}

}  // namespace nestrr::eventlog
