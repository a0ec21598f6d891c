// The report's summary: header, event counts per kind and CPU, loss and
// damage, merge findings (see gather_parts.h).
#include "gather_parts.h"

namespace nestrr::report::detail {

namespace el = eventlog;

void build_summary(const el::Log& log, const el::Timeline& timeline, ReportData& data) {
  Summary& s = data.summary;
  if (log.header) {
    const auto& h = *log.header;
    s.description = h.description();
    s.header_cpu_count = h.cpu_count();
    s.tsc_hz = h.tsc_hz();
    s.sink = nestrr::v1::Header::Sink_Name(h.sink());
    if (h.has_scenario()) {
      s.variant = h.scenario().variant();
      s.origin = h.scenario().origin();
    }
  }
  s.events = data.events.t.size();
  s.bytes = log.stats.bytes;
  s.counts.resize(data.kinds.size());
  for (size_t k = 0; k < data.kinds.size(); k++) {
    s.counts[k].kind = data.kinds[k];
    s.counts[k].per_lane.assign(data.cpus.size(), 0);
  }
  for (size_t i = 0; i < data.events.t.size(); i++) {
    CountRow& row = s.counts[data.events.kind[i]];
    row.per_lane[data.events.lane[i]]++;
    row.total++;
  }
  s.records_lost_transport = log.stats.records_lost_transport;
  s.records_dropped_logger = log.stats.records_dropped_logger;
  s.frames_damaged = log.stats.frames_damaged_total();
  s.resyncs = log.stats.resyncs;
  s.duplicate_records = log.stats.duplicate_records;
  s.conflicting_records = log.stats.conflicting_records;
  s.console_lines = log.console.size();
  const auto& m = timeline.stats;
  s.skewed_edges = m.skewed_edges;
  s.cycles_broken = m.cycles_broken;
  s.unmatched_nmis = m.unmatched_nmi_sends + m.unmatched_nmi_receives;
  data.title = "nestrr report" + (s.description.empty() ? std::string() : ": " + s.description);
}

}  // namespace nestrr::report::detail
