// Opening a log with its ELF files and choosing the record to unwind.
#include "stack_input.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "log_input.h"
#include "module_files.h"
#include "nestrr/eventlog/merge.h"

namespace nestrr::cli {

std::optional<StackInput> open_stack_input(const StackInputOptions& o, bool need_record, int& code) {
  code = kExitBadInput;
  auto log = open_log(o.log);
  if (!log) return std::nullopt;
  StackInput in{std::move(*log), nullptr, std::nullopt, {}};
  auto modules = open_modules(in.log.header ? &*in.log.header : nullptr, {o.elf, o.debug_dirs});
  if (!modules) return std::nullopt;
  for (auto& name : modules->unresolved())
    spdlog::warn("module {}: no ELF file (give --elf or --debug-dir)", name);
  if (modules->empty()) {
    spdlog::error("no ELF file for the log's modules: give --elf or --debug-dir");
    return std::nullopt;
  }
  in.symbolizer = std::make_unique<symbolize::Symbolizer>(*modules);
  for (auto& err : in.symbolizer->load_errors()) spdlog::warn("{}", err);
  if (!need_record) return in;

  eventlog::Timeline timeline = eventlog::merge(in.log);
  std::optional<size_t> index;
  if (o.event) {
    if (*o.event >= timeline.order.size()) {
      spdlog::error("no event {}: the log has {} events", *o.event, timeline.order.size());
      code = kExitUsage;
      return std::nullopt;
    }
    index = *o.event;
  } else {
    for (size_t i = 0; i < timeline.order.size() && !index; i++)
      if (in.log.at(timeline.order[i]).record.has_assertion_failure()) index = i;
    if (!index) {
      spdlog::error("the log has no assertion failure; choose a record with --event N");
      code = kExitUsage;
      return std::nullopt;
    }
  }
  const eventlog::Event& e = in.log.at(timeline.order[*index]);
  in.snapshot = symbolize::StackSnapshot::from_log(in.log, timeline.order[*index]);
  in.event_name = fmt::format("event {} (cpu{}#{})", *index, e.cpu, e.seq);
  if (!in.snapshot) {
    spdlog::error("{} has no registers or interrupted RIP (only assertion failures and NMIs have)", in.event_name);
    return std::nullopt;
  }
  code = kExitOk;
  return in;
}

}  // namespace nestrr::cli
