// Opening a log named on the command line, with the exit code that says
// why it could not be read, and the --strict flag every command that reads
// a log has.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/summary.h"

namespace nestrr::cli {

// Reads `path` ("-" for stdin). On failure, or when what it holds is not a
// nestrr log at all (empty, garbage, another format), prints the reason
// naming the file and returns nothing; the caller exits with kExitBadInput.
// A log read with loss or damage is returned, and a warning says what was
// lost.
std::optional<eventlog::Log> open_log(const std::string& path);

// The same for a command that can work front to back: `path` summarized
// in bounded memory (eventlog/summary.h) when it is a file whose chunks
// come in order, as a logger writes them; a command that `rereads` then
// reads its records again from the file (eventlog/merged_stream.h), and
// so needs a regular file (a pipe cannot be read twice). Stdin, a spliced
// capture, and a pipe for a command that rereads are read whole (`whole`:
// summary.log has every record, and nothing else of the summary is set).
// `keep_console`: keep every console line.
struct OpenedLog {
  eventlog::LogSummary summary;
  bool whole = false;
};
std::optional<OpenedLog> open_log_streaming(const std::string& path, bool rereads, bool keep_console = false);

// --strict: exit 4 (kExitLossFound) when the log has any loss or damage,
// even where the command's result does not depend on it.
void add_strict_flag(CLI::App* sub, bool& strict);
// The exit code of a command that did its job: kExitLossFound under
// --strict when the log is not whole, kExitOk otherwise.
int done(const eventlog::Log& log, bool strict);

}  // namespace nestrr::cli
