// Opening a log named on the command line, with the exit code that says
// why it could not be read.
#pragma once

#include <optional>
#include <string>

#include "nestrr/eventlog/log.h"

namespace nestrr::cli {

// Reads `path` ("-" for stdin). On failure prints the reason and returns
// nothing; the caller exits with kExitBadInput.
std::optional<eventlog::Log> open_log(const std::string& path);

}  // namespace nestrr::cli
