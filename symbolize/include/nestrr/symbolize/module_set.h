// The ELF files behind a log's modules: given with --elf, or found by
// build-id under debug directories, matched to the log's module table.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/hex.h"

namespace nestrr::symbolize {

// A log module and a file whose build-id disagree: the file would give
// wrong answers, so nothing is symbolized with it.
class BuildIdMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One loaded image: which file, where it is loaded.
struct ElfModule {
  std::string name;                 // the log's module name (or the file name)
  std::filesystem::path path;       // ELF with code (may also carry DWARF)
  std::string build_id;             // raw bytes, empty if the file has none
  uint64_t load_bias = 0;
};

// GNU build-id of an ELF file (raw bytes; empty if it has none). Throws
// std::runtime_error if the file is not a readable ELF.
std::string read_build_id(const std::filesystem::path& path);

// "4a9f..." for raw bytes.
inline std::string hex(const std::string& bytes) { return eventlog::hex_bytes(bytes); }

struct ModuleSetOptions {
  std::vector<std::filesystem::path> elf_files;   // --elf, in order
  std::vector<std::filesystem::path> debug_dirs;  // --debug-dir
};

class ModuleSet {
 public:
  // Without a log: each --elf at its link-time addresses (bias 0).
  static ModuleSet from_files(const ModuleSetOptions& options);
  // With a log's module table: every module gets the --elf with its
  // build-id, else the file DIR/.build-id/xx/rest[.debug] of a debug
  // directory. A module named like an --elf file (or the only module and
  // the only --elf) whose build-id differs throws BuildIdMismatch. Modules
  // without any file are listed in unresolved().
  static ModuleSet from_log(const nestrr::v1::Header* header, const ModuleSetOptions& options);

  const std::vector<ElfModule>& modules() const { return modules_; }
  const std::vector<std::string>& unresolved() const { return unresolved_; }
  // ":"-joined debug directories for libdwfl's separate-debuginfo search.
  const std::string& debuginfo_path() const { return debuginfo_path_; }
  bool empty() const { return modules_.empty(); }

 private:
  std::vector<ElfModule> modules_;
  std::vector<std::string> unresolved_;
  std::string debuginfo_path_;
};

}  // namespace nestrr::symbolize
