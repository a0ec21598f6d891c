// The ELF files behind a log's modules, for the commands that symbolize:
// --elf and --debug-dir, and the files a host recording's module table
// names by path (replay/host_modules.h), so that logs of `nestrr record`
// need no --elf. An --elf that belongs to none of the log's modules is
// refused with the build-ids that disagree, not silently ignored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/symbolize/module_set.h"

namespace nestrr::cli {

struct ModuleFiles {
  std::vector<std::string> elf, debug_dirs;
  // Also look under /usr/lib/debug when no --debug-dir is given.
  bool default_debug_dir = false;
};

// nullopt (the reason printed) when an --elf cannot be used.
std::optional<symbolize::ModuleSet> open_modules(const nestrr::v1::Header* header, const ModuleFiles& files);

}  // namespace nestrr::cli
