// Reading whole logs from streams and files; small Log and Stats helpers.
#include "nestrr/eventlog/log.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "nestrr/eventlog/log_builder.h"

namespace nestrr::eventlog {

std::string_view event_kind(nestrr::v1::Record::EventCase which) {
  if (which == nestrr::v1::Record::EVENT_NOT_SET) return "none";
  const auto* field = nestrr::v1::Record::descriptor()->FindFieldByNumber(static_cast<int>(which));
  return field ? std::string_view(field->name()) : std::string_view("none");
}

std::string_view event_kind(const nestrr::v1::Record& record) {
  return event_kind(record.event_case());
}

uint64_t Stats::frames_damaged_total() const {
  uint64_t total = 0;
  for (uint64_t n : frames_damaged) total += n;
  return total;
}

bool Stats::clean() const {
  return frames_damaged_total() == 0 && records_lost_transport == 0 &&
         records_dropped_logger == 0 && conflicting_records == 0;
}

const CpuStream* Log::find_cpu(uint32_t cpu) const {
  auto it = std::lower_bound(streams.begin(), streams.end(), cpu,
                             [](const CpuStream& s, uint32_t c) { return s.cpu < c; });
  return it != streams.end() && it->cpu == cpu ? &*it : nullptr;
}

uint64_t Log::event_count() const {
  uint64_t n = 0;
  for (const auto& s : streams) n += s.record_count();
  return n;
}

Log read_log(std::istream& in) {
  LogBuilder builder;
  builder.feed_all(in);
  return builder.finish();
}

Log read_log_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw std::runtime_error("cannot read log '" + path.string() + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    throw std::runtime_error("cannot open log '" + path.string() + "': " + std::strerror(errno));
  }
  Log log = read_log(in);
  if (in.bad()) {
    throw std::runtime_error("error reading log '" + path.string() + "' after byte " +
                             std::to_string(log.stats.bytes));
  }
  return log;
}

}  // namespace nestrr::eventlog
