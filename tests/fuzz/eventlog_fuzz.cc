// libFuzzer target: arbitrary bytes through the whole reading path (frame
// reader, packet decoding, merge, text/JSON formatting, Chrome export).
#include <cstddef>
#include <cstdint>
#include <sstream>

#include "nestrr/eventlog/chrome_trace.h"
#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/log_builder.h"
#include "nestrr/eventlog/merge.h"

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
  return total == 0 && trace.str().empty() ? 0 : 0;
}
