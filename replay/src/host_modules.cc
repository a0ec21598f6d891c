// This program's module-table entry and finding logged modules on this
// machine (host_modules.h).
#include "nestrr/replay/host_modules.h"

#include <elf.h>
#include <link.h>

#include <cstring>
#include <system_error>

#include "nestrr/symbolize/module_set.h"

namespace nestrr::replay {
namespace {

int read_self(dl_phdr_info* info, size_t, void* out) {
  auto* m = static_cast<HostModule*>(out);
  m->load_bias = info->dlpi_addr;  // the first object is the program
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
    auto* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      auto* nh = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const unsigned char* name = p + sizeof *nh;
      const unsigned char* desc = name + ((nh->n_namesz + 3) & ~3u);
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !std::memcmp(name, "GNU", 4))
        m->build_id.assign(reinterpret_cast<const char*>(desc), nh->n_descsz);
      p = desc + ((nh->n_descsz + 3) & ~3u);
    }
  }
  return 1;
}

}  // namespace

const HostModule& this_program() {
  static const HostModule self = [] {
    HostModule m;
    std::error_code ec;
    m.path = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    dl_iterate_phdr(read_self, &m);
    return m;
  }();
  return self;
}

std::vector<std::filesystem::path> logged_module_files(const nestrr::v1::Header* header) {
  std::vector<std::filesystem::path> out;
  if (!header) return out;
  for (const auto& mod : header->module()) {
    std::filesystem::path p(mod.name());
    std::error_code ec;
    if (mod.build_id().empty() || !p.is_absolute() || !std::filesystem::is_regular_file(p, ec)) continue;
    try {
      if (symbolize::read_build_id(p) == mod.build_id()) out.push_back(p);
    } catch (const std::exception&) {
      // Not an ELF file (any more): not this module.
    }
  }
  return out;
}

}  // namespace nestrr::replay
