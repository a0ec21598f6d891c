// gather_report: merge, then each part of the report in turn (see
// report_data.h and gather_parts.h).
#include <memory>

#include "gather_parts.h"
#include "nestrr/symbolize/addr2line_format.h"
#include "nestrr/replay/host_modules.h"
#include "nestrr/symbolize/module_set.h"

namespace nestrr::report {
namespace {

// The logged modules' ELF files, opened once for the timeline's names and
// the failure's stack; null when the options name none or none of them
// belongs to the log (the failure panel says which).
std::unique_ptr<symbolize::Symbolizer> open_symbolizer(const eventlog::Log& log, const ReportOptions& options) {
  symbolize::ModuleSetOptions mo;
  mo.elf_files = options.elf_files;
  mo.debug_dirs = options.debug_dirs;
  // A host recording names this machine's files (replay/host_modules.h).
  for (auto& p : replay::logged_module_files(log.header ? &*log.header : nullptr)) mo.elf_files.push_back(p);
  if (mo.elf_files.empty() && mo.debug_dirs.empty()) return nullptr;
  auto modules = symbolize::ModuleSet::from_log(log.header ? &*log.header : nullptr, mo);
  if (modules.empty()) return nullptr;
  return std::make_unique<symbolize::Symbolizer>(modules);
}

}  // namespace

ReportData gather_report(const eventlog::Log& log, const ReportOptions& options) {
  auto progress = [&](const std::string& what) {
    if (options.progress) options.progress(what);
  };
  ReportData data;
  progress("merging " + std::to_string(log.event_count()) + " events");
  eventlog::Timeline timeline = eventlog::merge(log);
  detail::EventIndex index(log);
  progress("building the timeline");
  std::unique_ptr<symbolize::Symbolizer> sym = open_symbolizer(log, options);
  eventlog::CodeNamer namer;
  if (sym)
    namer = [&sym](uint64_t address, bool return_address) {
      return symbolize::short_name(*sym, address, return_address);
    };
  detail::build_timeline(log, timeline, data, index, namer);
  detail::build_summary(log, timeline, data);
  progress("rebuilding each CPU's state and checking invariants");
  detail::build_states(log, timeline, index, data);
  detail::build_failure(log, timeline, index, options, sym.get(), data);
  return data;
}

}  // namespace nestrr::report
