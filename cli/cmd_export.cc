// `nestrr export`: the merged timeline in formats other tools read.
#include <spdlog/spdlog.h>

#include <fstream>
#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/eventlog/chrome_trace.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/eventlog/merged_stream.h"
#include "progress_line.h"

namespace nestrr::cli {

void register_export(CLI::App& app, Run& run) {
  struct Opts {
    std::string log;
    std::string chrome_trace;
    bool strict = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "export", "Export the merged timeline (Chrome trace-event JSON: Perfetto UI, chrome://tracing)");
  sub->add_option("log", o->log, "Log file (.nrr), or - for stdin")->required();
  sub->add_option("--chrome-trace", o->chrome_trace,
                  "Write Chrome trace-event JSON here: one track per CPU, NMIs as flow arrows, "
                  "quiesces as spans")
      ->required();
  add_strict_flag(sub, o->strict);
  sub->callback([&run, o] {
    run = [o]() -> int {
      // Counted first, then written as the records are read again from
      // the file in merged order: a log of any length in bounded memory.
      auto opened = open_log_streaming(o->log, true, true);
      if (!opened) return kExitBadInput;
      const eventlog::LogSummary& summary = opened->summary;
      std::ofstream out(o->chrome_trace, std::ios::binary | std::ios::trunc);
      if (!out) {
        spdlog::error("cannot write {}", o->chrome_trace);
        return kExitFailed;
      }
      uint64_t events = 0;
      if (opened->whole) {
        const eventlog::Timeline timeline = eventlog::merge(summary.log);
        eventlog::write_chrome_trace(out, summary.log, timeline);
        events = timeline.order.size();
      } else {
        const std::string path = o->log;
        eventlog::MergedStream records(
            [&path] { return std::make_unique<std::ifstream>(path, std::ios::binary); }, summary);
        ProgressLine line([&records, &summary] {
          return "writing: " + std::to_string(records.given()) + " of " +
                 std::to_string(summary.log.event_count()) + " records";
        });
        eventlog::write_chrome_trace(out, summary, records);
        events = records.given();
      }
      out.close();
      if (!out) {
        spdlog::error("writing {} failed", o->chrome_trace);
        return kExitFailed;
      }
      spdlog::info("wrote {} events to {}", events, o->chrome_trace);
      return done(summary.log, o->strict);
    };
  });
}

}  // namespace nestrr::cli
