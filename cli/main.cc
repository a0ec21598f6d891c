// Entry point of the `nestrr` command: parses the command line with CLI11
// and runs the chosen subcommand. Subcommands live in cmd_*.cc.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <string>

#include "commands.h"

namespace nc = nestrr::cli;

int main(int argc, char** argv) {
  CLI::App app{"nestrr: record-and-replay debugging for nested x86 hypervisors"};
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Print debug diagnostics");

  nc::Run run;
  nc::register_capture(app, run);
  nc::register_info(app, run);
  nc::register_dump(app, run);
  nc::register_export(app, run);
  nc::register_demo(app, run);
  nc::register_record(app, run);
  nc::register_replay(app, run);
  nc::register_check(app, run);
  nc::register_explore(app, run);
  nc::register_explore_merge(app, run);
  nc::register_symbolize(app, run);
  nc::register_stack(app, run);
  nc::register_listing(app, run);
  nc::register_report(app, run);
  nc::register_core(app, run);
#ifdef NESTRR_HAVE_TESTBOX
  nc::register_testbox(app, run);
#endif
  nc::register_gdbserver(app, run);
  nc::register_debug(app, run);

  // Every command's --help ends with the one table of exit codes. The top
  // level's footer is set last: CLI11 copies a parent's footer into each
  // subcommand it creates, which would print the table twice.
  for (CLI::App* sub : app.get_subcommands({})) {
    const std::string own = sub->get_footer();
    sub->footer(own.empty() ? nc::exit_code_help() : own + "\n\n" + nc::exit_code_help());
  }
  app.footer(std::string(nc::exit_code_help()) + "\n`nestrr COMMAND --help` explains each command.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return nc::kExitUsage;
  }
  // Diagnostics go to stderr: stdout carries data (dump, raw packets).
  spdlog::set_default_logger(spdlog::stderr_color_st("nestrr"));
  spdlog::set_pattern("nestrr: %^%l%$: %v");
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  try {
    return run ? run() : nc::kExitUsage;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return nc::kExitFailed;
  }
}
