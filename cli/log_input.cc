// Opening a log named on the command line (see log_input.h).
#include "log_input.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <exception>
#include <iostream>

#include "commands.h"
#include "log_loading.h"
#include "progress_line.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/eventlog/not_a_log.h"

namespace nestrr::cli {

std::optional<eventlog::Log> open_log(const std::string& path) {
  const std::string name = path == "-" ? "stdin" : path;
  try {
    eventlog::Log log;
    if (path == "-") {
      log = eventlog::read_log(std::cin);
    } else {
      // A log of millions of records takes seconds to read: say how far.
      LoadProgress progress;
      const std::atomic<bool> never{false};
      ProgressLine line([&progress, &name] { return name + ": " + progress.text(); });
      log = read_log_gradually(path, progress, never);
    }
    eventlog::require_log(log, name);
    if (std::string loss = eventlog::loss_summary(log); !loss.empty())
      spdlog::warn("{}: read with loss: {}", name, loss);
    return log;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return std::nullopt;
  }
}

void add_strict_flag(CLI::App* sub, bool& strict) {
  sub->add_flag("--strict", strict,
                "Exit with 4 if the log has any loss or damage, even where the result does not "
                "depend on it");
}

int done(const eventlog::Log& log, bool strict) {
  return strict && !log.stats.clean() ? kExitLossFound : kExitOk;
}

}  // namespace nestrr::cli
