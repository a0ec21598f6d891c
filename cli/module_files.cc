// Matching --elf, debug directories and a host recording's own files to a
// log's modules (module_files.h).
#include "module_files.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "nestrr/replay/host_modules.h"

namespace nestrr::cli {

std::optional<symbolize::ModuleSet> open_modules(const nestrr::v1::Header* header, const ModuleFiles& files) {
  symbolize::ModuleSetOptions mo;
  for (auto& e : files.elf) mo.elf_files.emplace_back(e);
  for (auto& d : files.debug_dirs) mo.debug_dirs.emplace_back(d);
  if (mo.debug_dirs.empty() && files.default_debug_dir) mo.debug_dirs.emplace_back("/usr/lib/debug");
  // After the user's files: a file given for a module wins its match.
  for (auto& p : replay::logged_module_files(header)) mo.elf_files.push_back(p);
  // A module whose file is still at its path but was rebuilt since.
  if (header && files.elf.empty())
    for (const auto& m : header->module()) {
      std::error_code ec;
      const std::filesystem::path p(m.name());
      if (m.build_id().empty() || !p.is_absolute() || !std::filesystem::is_regular_file(p, ec)) continue;
      try {
        const std::string id = symbolize::read_build_id(p);
        if (id != m.build_id())
          spdlog::warn("module {}: the file there has build-id {}, the log's has {} (rebuilt since the recording?)",
                       m.name(), id.empty() ? std::string("none") : symbolize::hex(id), symbolize::hex(m.build_id()));
      } catch (const std::exception&) {
      }
    }
  try {
    symbolize::ModuleSet set = symbolize::ModuleSet::from_log(header, mo);
    if (header && header->module_size() > 0) {
      for (const auto& e : files.elf) {
        const bool used = std::any_of(set.modules().begin(), set.modules().end(),
                                      [&](const symbolize::ElfModule& m) { return m.path == e; });
        if (used) continue;
        std::string id = symbolize::read_build_id(e);
        std::string logged;
        for (const auto& m : header->module())
          logged += (logged.empty() ? "" : ", ") + m.name() + " (build-id " +
                    (m.build_id().empty() ? std::string("none") : symbolize::hex(m.build_id())) + ")";
        spdlog::error("--elf {} (build-id {}) is none of the log's modules: {}", e,
                      id.empty() ? std::string("none") : symbolize::hex(id), logged);
        return std::nullopt;
      }
    }
    return set;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return std::nullopt;
  }
}

}  // namespace nestrr::cli
