// State rebuild without re-execution: folds a merged log into per-CPU and
// global state over time (VMX mode, current VMCS12, VMCS02 address fields,
// EPT01) and checks invariants at every step that can break them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/check/state.h"

namespace nestrr::check {

// One invariant the checker knows, with what it means.
struct Invariant {
  const char* id;
  const char* description;
};
// Every invariant check_log() checks.
const std::vector<Invariant>& invariants();

struct Violation {
  std::string invariant;           // Invariant::id
  eventlog::EventRef at;           // the event where it was found
  std::string message;             // what is wrong, with both values
  std::vector<eventlog::EventRef> causes;  // events that explain it, oldest first
  std::vector<std::string> cause_notes;    // one per cause: its role
};

struct CheckReport {
  uint64_t events = 0;
  uint64_t checks = 0;            // invariant evaluations
  uint64_t ept01_pages_changed = 0;
  std::vector<Violation> violations;
  bool clean() const { return violations.empty(); }
};

// Runs every invariant over the log in timeline order. The same stale
// field is reported once per EPT01 change, not at every later event.
CheckReport check_log(const eventlog::Log& log, const eventlog::Timeline& timeline);

// The same walk, showing the rebuilt state after each event to `after_step`
// (for views of the state over time, e.g. the HTML report).
using StepObserver = std::function<void(eventlog::EventRef, const MachineState&)>;
CheckReport check_log(const eventlog::Log& log, const eventlog::Timeline& timeline,
                      const StepObserver& after_step);

// Human-readable report: each violation with its causes.
std::string format_report(const eventlog::Log& log, const CheckReport& report);

}  // namespace nestrr::check
