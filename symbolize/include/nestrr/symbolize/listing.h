// Disassembly of the function around an address (capstone) with its source
// lines interleaved, objdump -S style, and an arrow on the instruction the
// record stopped at.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::symbolize {

struct ListingOptions {
  bool intel = false;  // AT&T syntax unless set
  // Where the sources are: a line-table path is tried under it with ever
  // shorter suffixes ("/build/x/src/a.c" as DIR/build/x/src/a.c, ...,
  // DIR/a.c). Without it, lines show as file:line only.
  std::optional<std::filesystem::path> source_dir;
  // `pc` follows a call (an assertion's RIP): the arrow marks the call.
  bool pc_is_return_address = false;
};

// Throws std::runtime_error if no function symbol holds the address or its
// bytes are not in the ELF file.
std::string format_listing(Symbolizer& sym, uint64_t pc, const ListingOptions& options);

}  // namespace nestrr::symbolize
