// One-pass, bounded-memory summary of a log (summary.h).
#include "nestrr/eventlog/summary.h"

#include <algorithm>
#include <tuple>

namespace nestrr::eventlog {
namespace {

// The records causal_edges() draws edges between; the others cannot change
// its edges or the merge's cycle breaks, so a log of these alone gives the
// same statistics.
bool joins_causal_edges(const nestrr::v1::Record& r) {
  switch (r.event_case()) {
    case nestrr::v1::Record::kNmiSent:
    case nestrr::v1::Record::kNmiReceived:
    case nestrr::v1::Record::kQuiesceBegin:
    case nestrr::v1::Record::kQuiesceAck:
    case nestrr::v1::Record::kQuiesceEnd:
    case nestrr::v1::Record::kEpt01Change:
      return true;
    default:
      return false;
  }
}

bool by_cpu_then_seq(const Event& a, const Event& b) { return std::tie(a.cpu, a.seq) < std::tie(b.cpu, b.seq); }

}  // namespace

void RecordTally::add(const Event& event) {
  ++kinds[std::string(event_kind(event.record))];
  if (event.record.has_assertion_failure()) assertions.push_back(event);
}

RecordTally tally_records(const Log& log) {
  RecordTally tally;
  for (const auto& st : log.streams)
    for (const auto& e : st.events) tally.add(e);
  return tally;
}

void SummarySink::on_record(const Event& event) {
  tally_.add(event);
  if (!any_ || event.tsc < first_tsc_) first_tsc_ = event.tsc;
  any_ = true;
  if (joins_causal_edges(event.record)) causal_[event.cpu].push_back(event);
  if (event.record.has_records_lost()) records_lost_.push_back(event);
}

void SummarySink::on_console(const Event& line) {
  if (keep_console_) console_.push_back(line);
}

LogSummary SummarySink::finish(Log log, uint64_t late_records) {
  LogSummary out;
  // Each CPU's records came in seq order, the CPUs interleaved.
  std::stable_sort(tally_.assertions.begin(), tally_.assertions.end(), by_cpu_then_seq);
  out.tally = std::move(tally_);
  std::stable_sort(records_lost_.begin(), records_lost_.end(), by_cpu_then_seq);
  out.records_lost = std::move(records_lost_);
  Log causal;
  for (const auto& s : log.streams) {
    CpuStream c;
    c.cpu = s.cpu;
    if (auto it = causal_.find(s.cpu); it != causal_.end()) c.events = std::move(it->second);
    causal.streams.push_back(std::move(c));
  }
  causal_.clear();
  const Timeline timeline = merge(causal);
  out.causal = timeline.stats;
  out.causal.events = log.event_count();
  for (const CausalEdge& e : timeline.edges) {
    const Event& from = causal.at(e.from);
    const Event& to = causal.at(e.to);
    out.edges.push_back(CausalLink{e.kind, from.cpu, from.seq, to.cpu, to.seq});
  }
  out.time_base.tsc_hz = log.tsc_hz();
  out.time_base.tsc0 = first_tsc_;
  out.console = std::move(console_);
  out.log = std::move(log);
  out.late_records = late_records;
  return out;
}

LogSummary summarize_log(std::istream& in, bool keep_console) {
  SummarySink sink(keep_console);
  LogBuilder builder(&sink);
  builder.feed_all(in);
  Log log = builder.finish();
  return sink.finish(std::move(log), builder.late_records());
}

}  // namespace nestrr::eventlog
