// A log summarized in one pass and bounded memory: everything `info` says
// (header, counts, loss, damage, records per kind and CPU, assertion
// failures, causal-edge statistics) without keeping the records. What is
// held besides the counts is each CPU's last record, the assertion
// failures, and the records causal edges join (NMIs, quiesces, EPT01
// changes) or tell of loss (RecordsLost): thousands in a log of tens of
// millions.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/log_builder.h"
#include "nestrr/eventlog/merge.h"

namespace nestrr::eventlog {

// What `info` counts over every record of a log.
struct RecordTally {
  std::map<std::string, uint64_t> kinds;  // records per event kind ("vm_exit", ...)
  std::vector<Event> assertions;         // assertion failures, by CPU, then seq
  void add(const Event& event);
};
// The tally of a whole read.
RecordTally tally_records(const Log& log);

// A causal edge by the CPU and seq of its ends.
struct CausalLink {
  EdgeKind kind;
  uint32_t from_cpu = 0;
  uint64_t from_seq = 0;
  uint32_t to_cpu = 0;
  uint64_t to_seq = 0;
};

struct LogSummary {
  Log log;             // each CPU keeps its last record only (CpuStream::streamed counts the rest)
  RecordTally tally;
  // The causal edges' statistics, as merge() of the whole log gives them
  // (the EventRefs in its lists point into a log of the joined records
  // alone, not into `log`: `edges` names the ends by CPU and seq).
  MergeStats causal;
  std::vector<CausalLink> edges;  // in the order causal_edges() gives them
  TimeBase time_base;             // as time_base() of the whole log
  std::vector<Event> console;     // every console line, when the sink was asked to keep them
  std::vector<Event> records_lost;  // the logger's RecordsLost records, by CPU, then seq
  // Records that came after their CPU had passed them (a spliced
  // capture): when nonzero, the summary is not the whole read's, and a
  // caller that can should read the whole log instead.
  uint64_t late_records = 0;
};

// Takes the records a LogBuilder settles and keeps what a summary needs.
class SummarySink : public RecordSink {
 public:
  // `keep_console`: keep every console line (an export shows them), not
  // only the first.
  explicit SummarySink(bool keep_console = false) : keep_console_(keep_console) {}
  void on_record(const Event& event) override;
  void on_console(const Event& line) override;
  // The summary, from the log the builder finished.
  LogSummary finish(Log log, uint64_t late_records);

 private:
  bool keep_console_;
  RecordTally tally_;
  std::map<uint32_t, EventVector> causal_;  // per CPU, the records causal edges may join
  std::vector<Event> console_;
  std::vector<Event> records_lost_;
  uint64_t first_tsc_ = 0;
  bool any_ = false;
};

// Reads `in` to its end into a summary.
LogSummary summarize_log(std::istream& in, bool keep_console = false);

}  // namespace nestrr::eventlog
