// A log summarized in one pass and bounded memory: everything `info` says
// (header, counts, loss, damage, records per kind and CPU, assertion
// failures, causal-edge statistics) without keeping the records. What is
// held besides the counts is each CPU's last record, the assertion
// failures, and the records causal edges join (NMIs, quiesces, EPT01
// changes): thousands in a log of tens of millions.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

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

struct LogSummary {
  Log log;             // each CPU keeps its last record only (CpuStream::streamed counts the rest)
  RecordTally tally;
  MergeStats causal;   // the causal edges' statistics, as merge() of the whole log gives them
  // Records that came after their CPU had passed them (a spliced
  // capture): when nonzero, the summary is not the whole read's, and a
  // caller that can should read the whole log instead.
  uint64_t late_records = 0;
};

// Takes the records a LogBuilder settles and keeps what a summary needs.
class SummarySink : public RecordSink {
 public:
  void on_record(const Event& event) override;
  // The summary, from the log the builder finished.
  LogSummary finish(Log log, uint64_t late_records);

 private:
  RecordTally tally_;
  std::map<uint32_t, EventVector> causal_;  // per CPU, the records causal edges may join
};

// Reads `in` to its end into a summary.
LogSummary summarize_log(std::istream& in);

}  // namespace nestrr::eventlog
