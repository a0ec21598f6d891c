// gather_report: merge, then each part of the report in turn (see
// report_data.h and gather_parts.h).
#include "gather_parts.h"

namespace nestrr::report {

ReportData gather_report(const eventlog::Log& log, const ReportOptions& options) {
  auto progress = [&](const std::string& what) {
    if (options.progress) options.progress(what);
  };
  ReportData data;
  progress("merging " + std::to_string(log.event_count()) + " events");
  eventlog::Timeline timeline = eventlog::merge(log);
  detail::EventIndex index(log);
  progress("building the timeline");
  detail::build_timeline(log, timeline, data, index);
  detail::build_summary(log, timeline, data);
  progress("rebuilding each CPU's state and checking invariants");
  detail::build_states(log, timeline, index, data);
  detail::build_failure(log, timeline, index, options, data);
  return data;
}

}  // namespace nestrr::report
