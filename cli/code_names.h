// Symbolized code addresses for commands that print them (dump, info):
// --elf / --debug-dir, or the log's module table found by build-id under
// the system debug directory.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::cli {

struct CodeNameOptions {
  std::vector<std::string> elf, debug_dirs;
};
void add_code_name_options(CLI::App* sub, CodeNameOptions& o);

struct CodeNames {
  std::unique_ptr<symbolize::Symbolizer> symbolizer;  // null: addresses stay bare
  eventlog::CodeNamer namer;                          // empty with it
};

// Without options, quietly names nothing unless a module resolves by
// build-id. With options, a file that cannot be used (missing, not ELF,
// another build-id) is an error: prints why and returns false.
bool open_code_names(const eventlog::Log& log, const CodeNameOptions& o, CodeNames& out);

}  // namespace nestrr::cli
