// The steps of gather_report, one file each: the timeline columns and links
// (timeline_columns.cc), the state over time and the invariants
// (state_track.cc), the summary (summary.cc) and the failure panel
// (failure_panel.cc).
#pragma once

#include <vector>

#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/report/report_data.h"
#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::report::detail {

// Event index in ReportData::events of every log event.
class EventIndex {
 public:
  EventIndex(const eventlog::Log& log);
  uint32_t& at(eventlog::EventRef r) { return index_[r.stream][r.index]; }
  uint32_t of(eventlog::EventRef r) const { return index_[r.stream][r.index]; }

 private:
  std::vector<std::vector<uint32_t>> index_;
};

// Lanes, kinds, event columns (sorted by time), NMIs and quiesce spans.
// With a namer, hypervisor code addresses in the event texts are named as
// in `nestrr dump --elf`.
void build_timeline(const eventlog::Log& log, const eventlog::Timeline& timeline, ReportData& data,
                    EventIndex& index, const eventlog::CodeNamer& namer = {});

// Per-lane state changes, violations and the invariants' summary rows.
void build_states(const eventlog::Log& log, const eventlog::Timeline& timeline, const EventIndex& index,
                  ReportData& data);

// Header, counts, loss and merge findings.
void build_summary(const eventlog::Log& log, const eventlog::Timeline& timeline, ReportData& data);

// The failure: first assertion failure, else first violation. Replays the
// run when it can (and options.replay), else builds the view from the log.
// `modules`: the log's ELF files when the options gave any that belong to
// it (null otherwise).
void build_failure(const eventlog::Log& log, const eventlog::Timeline& timeline, const EventIndex& index,
                   const ReportOptions& options, symbolize::Symbolizer* modules, ReportData& data);

}  // namespace nestrr::report::detail
