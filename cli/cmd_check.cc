// `nestrr check`: rebuild state from a log without re-executing anything
// and check the invariants (replay/check).
#include <iostream>
#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/check/check.h"
#include "nestrr/eventlog/merge.h"

namespace nestrr::cli {

void register_check(CLI::App& app, Run& run) {
  struct Opts {
    std::string log;
    bool list = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "check",
      "Rebuild EPT01 and each CPU's VMX state from a log and check invariants, e.g. that\n"
      "every guest-physical-address field of VMCS02 equals its translation through the\n"
      "current EPT01 while L2 runs. Each invariant holds, is violated (by events the log has,\n"
      "whatever was lost), or is unknown: records were lost that could hide a violation or\n"
      "explain a finding away (the lost ranges are listed). Exit code 6 when one is violated,\n"
      "else 4 when one is unknown, else 0.");
  sub->add_option("log", o->log, "Log file (.nrr), or - for stdin");
  sub->add_flag("--list", o->list, "List the invariants and exit");
  sub->callback([&run, o] {
    run = [o]() -> int {
      if (o->list) {
        for (const auto& inv : check::invariants()) std::cout << inv.id << ": " << inv.description << "\n";
        return kExitOk;
      }
      if (o->log.empty()) {
        std::cerr << "nestrr check: a log file is needed (or --list)\n";
        return kExitUsage;
      }
      auto log = open_log(o->log);
      if (!log) return kExitBadInput;
      eventlog::Timeline timeline = eventlog::merge(*log);
      check::CheckReport report = check::check_log(*log, timeline);
      std::cout << check::format_report(*log, report);
      switch (report.outcome()) {
        case check::Outcome::kViolated: return kExitInvariantViolated;
        case check::Outcome::kUnknown: return kExitLossFound;
        case check::Outcome::kHolds: return kExitOk;
      }
      return kExitFailed;
    };
  });
}

}  // namespace nestrr::cli
