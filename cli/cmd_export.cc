// `nestrr export`: the merged timeline in formats other tools read.
#include <spdlog/spdlog.h>

#include <fstream>
#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/eventlog/chrome_trace.h"
#include "nestrr/eventlog/merge.h"

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
      auto log = open_log(o->log);
      if (!log) return kExitBadInput;
      eventlog::Timeline timeline = eventlog::merge(*log);
      std::ofstream out(o->chrome_trace, std::ios::binary | std::ios::trunc);
      if (!out) {
        spdlog::error("cannot write {}", o->chrome_trace);
        return kExitFailed;
      }
      eventlog::write_chrome_trace(out, *log, timeline);
      out.close();
      if (!out) {
        spdlog::error("writing {} failed", o->chrome_trace);
        return kExitFailed;
      }
      spdlog::info("wrote {} events to {}", timeline.order.size(), o->chrome_trace);
      return done(*log, o->strict);
    };
  });
}

}  // namespace nestrr::cli
