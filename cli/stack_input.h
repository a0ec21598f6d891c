// What `nestrr stack` and `nestrr listing` share: the log, its modules'
// ELF files, and the record they look at.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/symbolize/snapshot.h"
#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::cli {

struct StackInputOptions {
  std::string log;
  std::vector<std::string> elf, debug_dirs;
  std::optional<uint64_t> event;  // index in the merged timeline (as `nestrr dump` lists it)
  bool strict = false;            // --strict (log_input.h)
};

struct StackInput {
  eventlog::Log log;
  std::unique_ptr<symbolize::Symbolizer> symbolizer;
  std::optional<symbolize::StackSnapshot> snapshot;  // the chosen record's
  std::string event_name;                            // "event 12 (cpu0#7, assertion_failure)"
};

// Opens the log and its ELF files. With `need_record`, also picks the event
// (--event, else the first assertion failure) and its snapshot. On failure
// prints why and returns the exit code in `code`.
std::optional<StackInput> open_stack_input(const StackInputOptions& o, bool need_record, int& code);

}  // namespace nestrr::cli
