// Reading a log a chunk at a time (log_loading.h).
#include "log_loading.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "nestrr/eventlog/log_builder.h"

namespace nestrr::cli {
namespace {

std::ifstream open_or_throw(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error("cannot read log '" + path + "': it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw std::runtime_error("cannot open log '" + path + "': " + std::strerror(errno));
  return in;
}

}  // namespace

std::string LoadProgress::text() const {
  const double mb = 1024.0 * 1024.0;
  std::string p = phase.load();
  if (p != "reading") return p;
  const uint64_t done = bytes.load(), all = total.load();
  if (all == 0) return fmt::format("reading: {:.1f} MB", static_cast<double>(done) / mb);
  return fmt::format("reading: {:.1f} of {:.1f} MB ({}%)", static_cast<double>(done) / mb,
                     static_cast<double>(all) / mb, done * 100 / all);
}

std::optional<nestrr::v1::Header> read_log_header(const std::string& path) {
  std::ifstream in = open_or_throw(path);
  // The logger writes its header first; a capture may have console text
  // before it. The first MiB is plenty either way.
  std::string buffer(1 << 20, '\0');
  in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  if (in.bad()) throw std::runtime_error("error reading log '" + path + "'");
  eventlog::LogBuilder builder;
  builder.feed(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
  return builder.finish().header;
}

namespace {

// Feeds the file to `builder` a chunk at a time, saying how far it got.
void feed_gradually(const std::string& path, LoadProgress& progress, const std::atomic<bool>& cancel,
                    eventlog::LogBuilder& builder) {
  std::ifstream in = open_or_throw(path);
  std::error_code ec;
  // A pipe or a device has no size: then the line shows bytes only.
  const uintmax_t size = std::filesystem::file_size(path, ec);
  progress.total = ec ? 0 : size;
  progress.phase = "reading";
  std::string buffer(1 << 20, '\0');
  while (in) {
    if (cancel) throw std::runtime_error("reading the log was stopped");
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = in.gcount();
    if (got <= 0) break;
    builder.feed(std::string_view(buffer.data(), static_cast<size_t>(got)));
    progress.bytes += static_cast<uint64_t>(got);
  }
  if (in.bad()) throw std::runtime_error("error reading log '" + path + "' after byte " +
                                         std::to_string(progress.bytes.load()));
  progress.phase = "decoding";
}

}  // namespace

eventlog::Log read_log_gradually(const std::string& path, LoadProgress& progress,
                                 const std::atomic<bool>& cancel) {
  eventlog::LogBuilder builder;
  feed_gradually(path, progress, cancel, builder);
  return builder.finish();
}

eventlog::LogSummary summarize_log_gradually(const std::string& path, LoadProgress& progress,
                                             const std::atomic<bool>& cancel, bool keep_console) {
  eventlog::SummarySink sink(keep_console);
  eventlog::LogBuilder builder(&sink);
  feed_gradually(path, progress, cancel, builder);
  eventlog::Log log = builder.finish();
  return sink.finish(std::move(log), builder.late_records());
}

}  // namespace nestrr::cli
