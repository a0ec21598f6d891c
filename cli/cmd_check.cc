// `nestrr check`: rebuild state from a log without re-executing anything
// and check the invariants (replay/check).
#include <atomic>
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/check/check.h"
#include "nestrr/eventlog/merge.h"
#include "progress_line.h"

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
      // Counted first, then checked as the records are read again from the
      // file in merged order: a log of any length in bounded memory.
      auto opened = open_log_streaming(o->log, true);
      if (!opened) return kExitBadInput;
      const eventlog::LogSummary& summary = opened->summary;
      check::CheckReport report;
      if (opened->whole) {
        report = check::check_log(summary.log, eventlog::merge(summary.log));
        std::cout << check::format_report(summary.log, report);
      } else {
        const std::string path = o->log;
        std::atomic<uint64_t> checked{0};
        check::StreamedCheck streamed;
        {
          ProgressLine line([&checked] { return "checking: " + std::to_string(checked.load()) + " records"; });
          auto open = [&path, &summary] {
            return std::make_unique<eventlog::MergedStream>(
                [&path] { return std::make_unique<std::ifstream>(path, std::ios::binary); }, summary);
          };
          streamed = check::check_stream(summary, open, &checked);
        }
        report = std::move(streamed.report);
        std::cout << check::format_report(
            [&streamed](eventlog::EventRef ref) -> const eventlog::Event& { return streamed.at(ref); },
            summary.time_base, report);
      }
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
