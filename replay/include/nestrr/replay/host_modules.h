// The module table of a host recording: this program as a log module (its
// path, GNU build-id and load bias, as the testbox image's header carries
// its own), and the way back from a log's module table to the files on
// this machine, so that logs of `nestrr record` symbolize without --elf.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nestrr.pb.h"

namespace nestrr::replay {

struct HostModule {
  std::string path;      // absolute path of the executable
  std::string build_id;  // raw bytes (empty if it has none)
  uint64_t load_bias = 0;
};

// This running program, read from its own program headers.
const HostModule& this_program();

// Files a log's module table names by path that exist here with the
// logged build-id: what a log recorded on this machine needs no --elf for.
std::vector<std::filesystem::path> logged_module_files(const nestrr::v1::Header* header);

}  // namespace nestrr::replay
