// Opening a log named on the command line (see log_input.h).
#include "log_input.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <exception>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "log_loading.h"
#include "progress_line.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/eventlog/not_a_log.h"

namespace nestrr::cli {

namespace {

// Stops with the reason when `log` is not a nestrr log; warns of loss.
void accept(const eventlog::Log& log, const std::string& name) {
  eventlog::require_log(log, name);
  if (std::string loss = eventlog::loss_summary(log); !loss.empty())
    spdlog::warn("{}: read with loss: {}", name, loss);
}

}  // namespace

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
    accept(log, name);
    return log;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return std::nullopt;
  }
}

std::optional<OpenedLog> open_log_streaming(const std::string& path, bool rereads, bool keep_console) {
  std::error_code ec;
  if (path != "-" && (!rereads || std::filesystem::is_regular_file(path, ec))) {
    try {
      std::optional<eventlog::LogSummary> summary;
      {
        LoadProgress progress;
        const std::atomic<bool> never{false};
        ProgressLine line([&progress, &path] { return path + ": " + progress.text(); });
        summary = summarize_log_gradually(path, progress, never, keep_console);
      }
      if (summary->late_records == 0) {
        accept(summary->log, path);
        return OpenedLog{std::move(*summary), false};
      }
      // Chunks out of seq order cannot be settled as they come.
      spdlog::info("{}: {} records arrived after later ones of their CPU (a spliced capture?): "
                   "reading the whole log",
                   path, summary->late_records);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return std::nullopt;
    }
  }
  auto log = open_log(path);
  if (!log) return std::nullopt;
  OpenedLog opened;
  opened.summary.log = std::move(*log);
  opened.whole = true;
  return opened;
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
