// What the HTML report shows, gathered from one log: the merged timeline as
// columns (one entry per event, sorted by time), NMIs, quiesce spans, each
// CPU's state over time (VMX mode, current VMCS12, EPT02 and VMCS02
// validity), the summary, and the failure with its interleaving, stack and
// listing. Plain data: html_report.h turns it into the page.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nestrr/eventlog/log.h"

namespace nestrr::report {

struct ReportOptions {
  std::vector<std::filesystem::path> elf_files;   // --elf: the logged modules
  std::vector<std::filesystem::path> debug_dirs;  // --debug-dir
  std::optional<std::filesystem::path> source_dir;
  // Re-execute the run (logs of nestrr's own core) to get the fine
  // interleaving and the failing stack; off: only what the log says.
  bool replay = true;
  size_t interleaving_rows = 16;
  // Stages of the work, for progress on stderr ("merging 1000000 events").
  std::function<void(const std::string&)> progress;
};

// The timeline in columns: event i is t[i], lane[i], ... Sorted by time,
// ties in merged order.
struct EventColumns {
  std::vector<double> t;        // microseconds since the first event (ticks without a TSC rate)
  std::vector<uint32_t> lane;   // index into ReportData::cpus
  std::vector<uint16_t> kind;   // index into ReportData::kinds
  std::vector<uint64_t> seq;
  // Field texts ("reason=10(CPUID) rip=0x1234") as a shape with the
  // numbers taken out ("reason=\x01(CPUID) rip=0x\x01") and the numbers:
  // event i has shape detail[i] and the numbers args[arg_start[i] ..
  // arg_start[i + 1]). Few shapes, so a million events stay small.
  std::vector<uint32_t> detail;        // index into `details`
  std::vector<std::string> details;    // distinct shapes
  std::vector<std::string> args;       // digits (decimal, or hex after "0x")
  std::vector<uint32_t> arg_start;     // size = events + 1
  std::string fields(size_t i) const;  // event i's field text, whole again
};

struct Nmi {
  uint32_t from = 0, to = 0;  // event indexes: sent, received
};

struct QuiesceSpan {
  uint32_t lane = 0;
  uint32_t begin = 0, end = 0;  // event indexes (end: last event when never ended)
  uint64_t generation = 0;
  bool ended = true;
};

// One lane's state from event `at` on (until its next change).
struct StateChange {
  uint32_t at = 0;
  int mode = -1;                      // nestrr::v1::VmxMode, -1 unknown
  std::optional<uint64_t> vmcs12;     // current VMCS12 gpa
  bool vmcs12_known = false;
  bool ept02_valid = true;
  uint32_t ept02_stale_since = 0;     // when not valid: the EPT01 change (event index)
  std::string stale_fields;           // VMCS02 address fields not matching EPT01 ("" = all match)
};

struct CountRow {
  std::string kind;
  std::vector<uint64_t> per_lane;
  uint64_t total = 0;
};

struct InvariantRow {
  std::string id, description;
  uint64_t violations = 0;
  std::string outcome;   // "holds", "violated", "unknown" (records lost that could hide one)
  uint64_t unknown = 0;  // findings that lost records could explain away
};

struct Summary {
  std::string description, variant, origin, sink;
  uint32_t header_cpu_count = 0;
  uint64_t tsc_hz = 0;
  uint64_t events = 0, bytes = 0;
  std::vector<CountRow> counts;
  // Loss and damage.
  uint64_t records_lost_transport = 0, records_dropped_logger = 0, frames_damaged = 0, resyncs = 0,
           duplicate_records = 0, conflicting_records = 0, console_lines = 0;
  // Merge findings.
  uint64_t skewed_edges = 0, cycles_broken = 0, unmatched_nmis = 0;
  // CPUs the header declares that have no record in the log.
  std::vector<uint32_t> silent_cpus;
  // What was lost, placed ("cpu1 #4812 to #4869 (58 records, ...)"), the
  // first ones; and how many in all.
  std::vector<std::string> lost;
  uint64_t lost_ranges = 0;
  // Invariants the state checker evaluated.
  uint64_t checks = 0;
  std::vector<InvariantRow> invariants;
  // Replay, when it ran.
  bool replayed = false;
  std::string replay_outcome;  // "matched the log: 812 records checked", or the divergence / reason
};

// A row of the side-by-side view: one cell in one lane, or an NMI arrow.
struct InterleavingRow {
  uint32_t lane = 0;
  std::string text;
  std::string role;              // "point", "event", "nmi", "assertion", "cause", "failure", ...
  std::optional<uint32_t> from;  // NMI rows: sender lane
  std::optional<uint32_t> event; // the timeline event the row is, when it is one
};

struct StackFrameRow {
  std::string function, location, method;
  uint64_t address = 0;
  bool inlined = false;
};

struct Failure {
  std::string kind;   // "assertion" or "invariant"
  std::string title;  // one line
  std::optional<uint32_t> event;  // on the timeline
  uint32_t lane = 0;
  std::string interleaving_source;  // "replay" or "log"
  std::vector<InterleavingRow> interleaving;
  std::string stack_source;  // how the stack was found
  std::vector<StackFrameRow> stack;  // innermost first
  std::string stack_note;    // why it ends, or why there is none
  std::string listing_title;
  std::vector<std::string> listing;  // lines; the arrow line starts with "->"
  std::string listing_note;          // why there is none
};

struct Violation {
  std::string invariant, message;
  uint32_t event = 0;
  std::vector<std::pair<uint32_t, std::string>> causes;  // event, role
};

struct ReportData {
  std::string title;
  std::string time_unit;  // "us" or "ticks"
  std::vector<uint32_t> cpus;       // CPU id per lane
  std::vector<std::string> kinds;   // event kind names
  EventColumns events;
  std::vector<Nmi> nmis;
  std::vector<QuiesceSpan> quiesces;
  std::vector<std::vector<StateChange>> states;  // per lane, by `at`
  Summary summary;
  std::vector<Violation> violations;
  std::optional<Failure> failure;
};

// Gathers everything from a read log. Throws std::runtime_error when an
// --elf file does not match the log's modules.
ReportData gather_report(const eventlog::Log& log, const ReportOptions& options);

}  // namespace nestrr::report
