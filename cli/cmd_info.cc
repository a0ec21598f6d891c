// `nestrr info`: header, counts per event kind and CPU, loss and damage.
#include <iostream>
#include <memory>

#include "code_names.h"
#include "commands.h"
#include "log_input.h"
#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/merge.h"

namespace nestrr::cli {

void register_info(CLI::App& app, Run& run) {
  struct Opts {
    std::string log;
    bool strict = false;
    CodeNameOptions names;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "info", "Summarize a log: header, modules, events per kind and CPU, loss, damage, clock skew");
  sub->add_option("log", o->log, "Log file (.nrr), or - for stdin")->required();
  add_strict_flag(sub, o->strict);
  add_code_name_options(sub, o->names);
  sub->callback([&run, o] {
    run = [o]() -> int {
      // Counted as it is read: a log of any length in bounded memory.
      auto opened = open_log_streaming(o->log, false);
      if (!opened) return kExitBadInput;
      const eventlog::Log& log = opened->summary.log;
      CodeNames names;
      if (!open_code_names(log, o->names, names)) return kExitBadInput;
      if (opened->whole) {
        const eventlog::Timeline timeline = eventlog::merge(log);
        std::cout << eventlog::format_info(log, &timeline, names.namer);
      } else {
        std::cout << eventlog::format_info(opened->summary, names.namer);
      }
      if (names.symbolizer)
        for (const auto& m : names.symbolizer->modules().modules())
          std::cout << "module " << m.name << ": file " << m.path.string() << "\n";
      return done(log, o->strict);
    };
  });
}

}  // namespace nestrr::cli
