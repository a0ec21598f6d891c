// Chrome trace-event JSON export (Perfetto UI, chrome://tracing): one track
// per CPU, instant events with their fields, quiesces as spans, NMIs as
// flow arrows from sender to receiver.
#pragma once

#include <ostream>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"

namespace nestrr::eventlog {

// Timestamps are microseconds since the first event (TSC ticks when the
// header has no TSC rate). Console text goes to its own "console" track.
void write_chrome_trace(std::ostream& out, const Log& log, const Timeline& timeline);

// The same trace from a log read in bounded memory: its summary (read with
// every console line kept) and its records in merged order. The same bytes
// as the whole read's when the summary's late_records is 0.
class MergedStream;
struct LogSummary;
void write_chrome_trace(std::ostream& out, const LogSummary& summary, MergedStream& records);

}  // namespace nestrr::eventlog
