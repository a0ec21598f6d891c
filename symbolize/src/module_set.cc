// Matching ELF files to a log's modules by build-id.
#include "nestrr/symbolize/module_set.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <optional>

namespace nestrr::symbolize {

namespace fs = std::filesystem;

std::string read_build_id(const fs::path& path) {
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string());
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    if (elf) elf_end(elf);
    ::close(fd);
    throw std::runtime_error(path.string() + " is not an ELF file");
  }
  const void* id = nullptr;
  ssize_t n = dwelf_elf_gnu_build_id(elf, &id);
  std::string out = n > 0 ? std::string(static_cast<const char*>(id), size_t(n)) : std::string();
  elf_end(elf);
  ::close(fd);
  return out;
}

namespace {

struct Candidate {
  fs::path path;
  std::string build_id;
};

std::string join_debug_dirs(const std::vector<fs::path>& dirs) {
  std::string s;
  for (const auto& d : dirs) {
    if (!s.empty()) s += ':';
    s += fs::absolute(d).string();
  }
  // Also next to the file and in its .debug/ folder, as distributions do.
  if (s.empty()) s = ":.debug:/usr/lib/debug";
  return s;
}

// DIR/.build-id/xx/rest (the file with code), else rest.debug (DWARF only).
std::optional<fs::path> find_by_build_id(const std::vector<fs::path>& dirs, const std::string& id) {
  if (id.size() < 2) return std::nullopt;
  std::string h = hex(id);
  for (const auto& d : dirs) {
    fs::path base = d / ".build-id" / h.substr(0, 2) / h.substr(2);
    std::error_code ec;
    if (fs::exists(base, ec)) return fs::canonical(base, ec);
    fs::path dbg = base;
    dbg += ".debug";
    if (fs::exists(dbg, ec)) return dbg;
  }
  return std::nullopt;
}

}  // namespace

ModuleSet ModuleSet::from_files(const ModuleSetOptions& options) {
  ModuleSet set;
  set.debuginfo_path_ = join_debug_dirs(options.debug_dirs);
  for (const auto& p : options.elf_files) {
    ElfModule m;
    m.name = p.filename().string();
    m.path = p;
    m.build_id = read_build_id(p);
    set.modules_.push_back(std::move(m));
  }
  return set;
}

ModuleSet ModuleSet::from_log(const nestrr::v1::Header* header, const ModuleSetOptions& options) {
  ModuleSet set;
  set.debuginfo_path_ = join_debug_dirs(options.debug_dirs);
  std::vector<Candidate> files;
  for (const auto& p : options.elf_files) files.push_back({p, read_build_id(p)});
  std::vector<bool> used(files.size(), false);
  int module_count = header ? header->module_size() : 0;
  for (int i = 0; i < module_count; i++) {
    const auto& mod = header->module(i);
    ElfModule m;
    m.name = mod.name();
    m.build_id = mod.build_id();
    m.load_bias = mod.load_bias();
    std::optional<size_t> pick;
    for (size_t f = 0; f < files.size() && !pick; f++)
      if (!m.build_id.empty() && files[f].build_id == m.build_id) pick = f;
    if (!pick) {
      // A file meant for this module (same name, or the only pair) must
      // have its build-id: a different build gives wrong answers.
      for (size_t f = 0; f < files.size(); f++) {
        bool same_name = files[f].path.filename() == fs::path(m.name).filename();
        bool only_pair = module_count == 1 && files.size() == 1;
        if (!same_name && !only_pair) continue;
        if (m.build_id.empty()) {
          pick = f;  // the log cannot tell: trust the user's choice
          break;
        }
        throw BuildIdMismatch("build-id mismatch: module " + m.name + " in the log has build-id " +
                              hex(m.build_id) + ", but " + files[f].path.string() + " has " +
                              (files[f].build_id.empty() ? std::string("none") : hex(files[f].build_id)));
      }
    }
    if (pick) {
      used[*pick] = true;
      m.path = files[*pick].path;
    } else if (auto found = find_by_build_id(options.debug_dirs, m.build_id)) {
      m.path = *found;
    } else {
      set.unresolved_.push_back(m.name);
      continue;
    }
    set.modules_.push_back(std::move(m));
  }
  // Files that match no module: at link-time addresses, if the log has no
  // module table at all (a log from a static image without one).
  if (module_count == 0)
    for (size_t f = 0; f < files.size(); f++)
      set.modules_.push_back({files[f].path.filename().string(), files[f].path, files[f].build_id, 0});
  return set;
}

}  // namespace nestrr::symbolize
