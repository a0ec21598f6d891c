// The nestrr subcommands: each registers itself on the root CLI11 app and
// returns, through `run`, the work to do once the command line is parsed.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace nestrr::cli {

// Exit codes scripts can rely on, the same for every command (docs/cli.md,
// and the end of every command's --help: exit_code_help()).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,      // failed for another reason (output, disk, a program missing): see stderr
  kExitUsage = 2,       // bad command line, or it names what the log does not have
  kExitBadInput = 3,    // input missing, unreadable, empty, not a log, or not usable by the command
  kExitLossFound = 4,   // read with loss the result depends on (check: unknown; replay: stopped
                        // at a gap); with --strict, any loss or damage
  kExitDiverged = 5,    // replay: the re-execution differs from the log
  kExitInvariantViolated = 6,  // check: the log breaks an invariant; explore: a failing schedule
};

// The table above as --help shows it.
const char* exit_code_help();

using Run = std::function<int()>;

void register_capture(CLI::App& app, Run& run);
void register_info(CLI::App& app, Run& run);
void register_dump(CLI::App& app, Run& run);
void register_export(CLI::App& app, Run& run);
void register_demo(CLI::App& app, Run& run);
void register_record(CLI::App& app, Run& run);
void register_replay(CLI::App& app, Run& run);
void register_check(CLI::App& app, Run& run);
void register_explore(CLI::App& app, Run& run);
void register_explore_merge(CLI::App& app, Run& run);
void register_symbolize(CLI::App& app, Run& run);
void register_stack(CLI::App& app, Run& run);
void register_listing(CLI::App& app, Run& run);
void register_report(CLI::App& app, Run& run);
void register_core(CLI::App& app, Run& run);
void register_testbox(CLI::App& app, Run& run);
void register_gdbserver(CLI::App& app, Run& run);
void register_debug(CLI::App& app, Run& run);

}  // namespace nestrr::cli
