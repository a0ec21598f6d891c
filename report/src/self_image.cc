// The running executable as a ModuleSet (see self_image.h).
#include "self_image.h"

#include <link.h>

namespace nestrr::report::detail {

namespace {

int first_object(dl_phdr_info* info, size_t, void* out) {
  *static_cast<uint64_t*>(out) = info->dlpi_addr;  // the executable comes first
  return 1;
}

}  // namespace

symbolize::ModuleSet self_image() {
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe");
  uint64_t bias = 0;
  dl_iterate_phdr(first_object, &bias);
  nestrr::v1::Header header;
  auto* m = header.add_module();
  m->set_name(exe.filename().string());
  m->set_build_id(symbolize::read_build_id(exe));
  m->set_load_bias(bias);
  symbolize::ModuleSetOptions options;
  options.elf_files.push_back(exe);
  return symbolize::ModuleSet::from_log(&header, options);
}

}  // namespace nestrr::report::detail
