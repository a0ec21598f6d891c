// libFuzzer target: arbitrary bytes through the whole reading path (frame
// reader, packet decoding, merge, text/JSON formatting, Chrome export, the
// loss and not-a-log reports), through the front-to-back reader, and
// through the bounded-memory summary and merged stream, which must say and
// export what the whole read does whenever no chunk came out of order.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "nestrr/eventlog/chrome_trace.h"
#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/log_builder.h"
#include "nestrr/eventlog/log_stream.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/eventlog/merged_stream.h"
#include "nestrr/eventlog/not_a_log.h"
#include "nestrr/eventlog/summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nestrr::eventlog;
  // Feed in two pieces split at a data-chosen point: the reader must not
  // care where chunk boundaries fall.
  const size_t split = size ? data[0] % (size + 1) : 0;
  LogBuilder builder;
  builder.feed(std::span<const uint8_t>(data, split));
  builder.feed(std::span<const uint8_t>(data + split, size - split));
  Log log = builder.finish();
  if (log.stats.bytes != size) __builtin_trap();
  Timeline timeline = merge(log);
  if (timeline.order.size() != log.event_count()) __builtin_trap();
  const TimeBase base = time_base(log);
  size_t total = 0;
  for (EventRef ref : timeline.order) {
    total += format_event(log.at(ref), base).size();
    total += format_json_line(log.at(ref), base).size();
  }
  total += format_info(log, &timeline).size();
  std::ostringstream trace;
  write_chrome_trace(trace, log, timeline);
  total += why_not_a_log(log).size() + loss_summary(log).size();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  {
    std::istringstream in(bytes);
    const LogSummary summary = summarize_log(in);
    if (summary.late_records == 0 &&
        (format_info(summary) != format_info(log, &timeline) ||
         loss_summary(summary.log) != loss_summary(log) || why_not_a_log(summary.log) != why_not_a_log(log)))
      __builtin_trap();
  }
  {
    // The export from per-CPU readers in merged order: the whole read's bytes.
    std::istringstream in(bytes);
    const LogSummary summary = summarize_log(in, true);
    if (summary.late_records == 0) {
      MergedStream records([&bytes] { return std::make_unique<std::istringstream>(bytes); }, summary);
      std::ostringstream streamed;
      write_chrome_trace(streamed, summary, records);
      if (streamed.str() != trace.str()) __builtin_trap();
    }
  }
  // Front to back, every CPU's records in seq order, each one the
  // whole-log reader kept (the stream cannot reorder, so it may keep fewer).
  std::istringstream in(bytes);
  LogStream stream(in);
  (void)stream.header();
  for (const auto& s : log.streams) {
    size_t k = 0;
    while (Event* e = stream.front(s.cpu)) {
      while (k < s.events.size() && s.events[k].seq < e->seq) ++k;
      if (k == s.events.size() || s.events[k].seq != e->seq) __builtin_trap();
      stream.pop(s.cpu);
    }
  }
  return total == 0 && trace.str().empty() ? 0 : 0;
}
