// `nestrr report`: one self-contained HTML file showing a run: the CPUs'
// timeline, the failure's interleaving, stack and listing, the summary.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/report/html_report.h"
#include "nestrr/report/report_data.h"
#include "nestrr/symbolize/module_set.h"

namespace nestrr::cli {

void register_report(CLI::App& app, Run& run) {
  struct Opts {
    std::string log, out, source_dir;
    std::vector<std::string> elf, debug_dirs;
    bool no_replay = false;
    size_t rows = 16;
    bool strict = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "report",
      "Write a self-contained HTML report (opens offline, loads nothing): a zoomable timeline\n"
      "with one lane per CPU (events by kind, NMIs as arrows, quiesces, VMX mode), the failure's\n"
      "interleaving, stack and listing, each CPU's state at a clicked event, and a summary.\n"
      "Runs of nestrr's own core are replayed for the fine interleaving and the stack; logs of\n"
      "a real hypervisor need --elf for the stack and listing.");
  sub->add_option("log", o->log, "Log file (.nrr), or - for stdin")->required();
  sub->add_option("-o,--output", o->out, "HTML file to write")->required();
  sub->add_option("--elf", o->elf, "ELF file of a logged module (repeatable), matched by build-id");
  sub->add_option("--debug-dir", o->debug_dirs, "Find files by build-id in DIR/.build-id (repeatable)");
  sub->add_option("--source-dir", o->source_dir, "Root of the source tree, for source lines in the listing");
  sub->add_flag("--no-replay", o->no_replay, "Do not re-execute the run; show only what the log says");
  sub->add_option("--rows", o->rows, "Interleaving rows before the failure")->capture_default_str();
  add_strict_flag(sub, o->strict);
  sub->callback([&run, o] {
    run = [o]() -> int {
      for (auto& e : o->elf) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(e, ec)) {
          spdlog::error("--elf {}: no such file", e);
          return kExitBadInput;
        }
      }
      auto log = open_log(o->log);
      if (!log) return kExitBadInput;
      report::ReportOptions ro;
      for (auto& e : o->elf) ro.elf_files.emplace_back(e);
      for (auto& d : o->debug_dirs) ro.debug_dirs.emplace_back(d);
      if (!o->source_dir.empty()) ro.source_dir = o->source_dir;
      ro.replay = !o->no_replay;
      ro.interleaving_rows = o->rows;
      ro.progress = [](const std::string& what) { spdlog::info("{}", what); };
      report::ReportData data;
      try {
        data = report::gather_report(*log, ro);
      } catch (const symbolize::BuildIdMismatch& e) {
        spdlog::error("{}", e.what());
        return kExitBadInput;
      }
      if (data.events.t.empty())
        spdlog::warn("{}: no events in the log ({} bytes read; see `nestrr info`): the report has only its summary",
                     o->log, log->stats.bytes);
      else if (!log->stats.clean())
        spdlog::warn("{}: the log has loss or damage (in the report's summary, and `nestrr info`)", o->log);
      std::ofstream out(o->out, std::ios::binary | std::ios::trunc);
      if (!out) {
        spdlog::error("cannot write {}", o->out);
        return kExitFailed;
      }
      spdlog::info("writing {}", o->out);
      report::write_html_report(out, data);
      out.close();
      if (!out) {
        spdlog::error("writing {} failed", o->out);
        return kExitFailed;
      }
      spdlog::info("wrote {} events to {}{}", data.events.t.size(), o->out,
                   data.failure ? ", failure: " + data.failure->title : "");
      return done(*log, o->strict);
    };
  });
}

}  // namespace nestrr::cli
