// Opening the ELF files behind a log's code addresses (see code_names.h).
#include "code_names.h"

#include <spdlog/spdlog.h>

#include "module_files.h"
#include "nestrr/symbolize/addr2line_format.h"

namespace nestrr::cli {

void add_code_name_options(CLI::App* sub, CodeNameOptions& o) {
  sub->add_option("--elf", o.elf,
                  "ELF file of a logged module (repeatable), matched by build-id: code addresses are shown "
                  "as <function+offset file:line>");
  sub->add_option("--debug-dir", o.debug_dirs,
                  "Find the modules' files by build-id in DIR/.build-id (repeatable; default /usr/lib/debug)");
}

bool open_code_names(const eventlog::Log& log, const CodeNameOptions& o, CodeNames& out) {
  bool asked = !o.elf.empty() || !o.debug_dirs.empty();
  auto modules = open_modules(log.header ? &*log.header : nullptr, {o.elf, o.debug_dirs, true});
  if (!modules) return false;
  if (asked)
    for (auto& name : modules->unresolved()) spdlog::warn("module {}: no ELF file (give --elf or --debug-dir)", name);
  if (modules->empty()) {
    if (asked) spdlog::warn("no ELF file for the log's modules: code addresses stay bare");
    return true;
  }
  out.symbolizer = std::make_unique<symbolize::Symbolizer>(*modules);
  for (auto& err : out.symbolizer->load_errors()) spdlog::warn("{}", err);
  symbolize::Symbolizer* sym = out.symbolizer.get();
  out.namer = [sym](uint64_t address, bool return_address) {
    return symbolize::short_name(*sym, address, return_address);
  };
  return true;
}

}  // namespace nestrr::cli
