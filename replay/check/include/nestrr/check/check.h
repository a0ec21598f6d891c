// State rebuild without re-execution: folds a merged log into per-CPU and
// global state over time (VMX mode, current VMCS12, VMCS02 address fields,
// EPT01) and checks invariants at every step that can break them. Loss is
// carried through: a finding that a lost record could explain away is not
// called a violation, and an invariant is said to hold only where nothing
// was lost.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/eventlog/merged_stream.h"
#include "nestrr/eventlog/summary.h"
#include "nestrr/check/state.h"

namespace nestrr::check {

// One invariant the checker knows, with what it means.
struct Invariant {
  const char* id;
  const char* description;
};
// Every invariant check_log() checks.
const std::vector<Invariant>& invariants();

// What the log says about an invariant: it holds everywhere the log was
// read, it is violated (by events the log has, whatever was lost), or it
// is unknown because records were lost that could hide a violation or
// explain a finding away.
enum class Outcome : uint8_t { kHolds, kViolated, kUnknown };
const char* outcome_name(Outcome outcome);  // "holds", "violated", "unknown"

// Records one CPU lost, placed between two of its sequence numbers: a
// transport gap, a logger drop, the unknown end of a cut stream, or the
// whole stream of a CPU that sent nothing.
struct LostRange {
  uint32_t cpu = 0;
  std::optional<uint64_t> after_seq;   // the lost records come after this seq (none: from the start)
  std::optional<uint64_t> before_seq;  // and before this one (none: up to the end)
  std::string what;                    // in words, e.g. "cpu1 #4812 to #4869 (58 records, ...)"
};

struct Violation {
  std::string invariant;           // Invariant::id
  eventlog::EventRef at;           // the event where it was found
  std::string message;             // what is wrong, with both values
  std::vector<eventlog::EventRef> causes;  // events that explain it, oldest first
  std::vector<std::string> cause_notes;    // one per cause: its role
  // In CheckReport::unknown only: the lost ranges (indices into
  // CheckReport::lost) where a missing record would make it hold.
  std::vector<size_t> doubts;
  bool doubt_unlocated = false;    // ... or loss the log cannot place (unlocated_loss)
};

struct InvariantOutcome {
  std::string invariant;  // Invariant::id
  Outcome outcome = Outcome::kHolds;
  uint64_t checks = 0;    // evaluations
  uint64_t violated = 0;  // entries of CheckReport::violations
  uint64_t unknown = 0;   // entries of CheckReport::unknown
};

struct CheckReport {
  uint64_t events = 0;
  uint64_t checks = 0;            // invariant evaluations
  uint64_t ept01_pages_changed = 0;
  // Violations no lost record could explain away.
  std::vector<Violation> violations;
  // Findings that a lost record could explain away: not violations, not
  // clean either.
  std::vector<Violation> unknown;
  // Everything the log lost, placed; any of it could hide a violation.
  std::vector<LostRange> lost;
  // Loss that cannot be placed on a CPU (no header after damage: CPUs the
  // log never names may have lost every record; records seen twice with
  // different content), in words; empty if none.
  std::string unlocated_loss;
  // CPUs the header declares that have no record in the log.
  std::vector<uint32_t> silent_cpus;
  std::vector<InvariantOutcome> outcomes;  // one per invariants(), in order
  bool clean() const { return violations.empty(); }
  // kViolated if any invariant is, else kUnknown if any is, else kHolds.
  Outcome outcome() const;
};

// Runs every invariant over the log in timeline order. The same stale
// field is reported once per EPT01 change, not at every later event.
// Each finding is put in `violations` or, when a lost record could explain
// it, in `unknown` with the lost ranges that could.
CheckReport check_log(const eventlog::Log& log, const eventlog::Timeline& timeline);

// The same walk, showing the rebuilt state after each event to `after_step`
// (for views of the state over time, e.g. the HTML report).
using StepObserver = std::function<void(eventlog::EventRef, const MachineState&)>;
CheckReport check_log(const eventlog::Log& log, const eventlog::Timeline& timeline,
                      const StepObserver& after_step);

// The same check over a log read front to back in bounded memory: its
// summary (eventlog/summary.h, late_records 0) and its records in merged
// order, read afresh by `open` for each pass (one pass, or two when the
// log lost records: placing the loss in the timeline takes one). What is
// held is the state and the events it and the findings name, not the
// log. The report is the one check_log() gives for the whole read, its
// EventRefs numbered as there: the CPU's stream in summary.log, the
// record's place in it.
using OpenRecords = std::function<std::unique_ptr<eventlog::MergedStream>()>;
struct StreamedCheck {
  CheckReport report;
  std::map<std::pair<uint32_t, uint32_t>, eventlog::Event> events;  // those the report names
  const eventlog::Event& at(eventlog::EventRef ref) const;
};
// `checked`, when given, counts the records stepped (for a progress line).
// Copies of named events are collected once `collect_at` are held, and
// again each time twice as many as the last collection left are (tests
// set it low, so that collection runs all the time).
StreamedCheck check_stream(const eventlog::LogSummary& summary, const OpenRecords& open,
                           std::atomic<uint64_t>* checked = nullptr, size_t collect_at = size_t{1} << 14);

// Human-readable report: each invariant's outcome, each violation with its
// causes, each unknown finding with the loss that could explain it, and
// the loss that could hide violations.
std::string format_report(const eventlog::Log& log, const CheckReport& report);
// The same with the events the report names found by `at`.
using EventLookup = std::function<const eventlog::Event&(eventlog::EventRef)>;
std::string format_report(const EventLookup& at, const eventlog::TimeBase& base, const CheckReport& report);

}  // namespace nestrr::check
