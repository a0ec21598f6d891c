// Symbolizing the same addresses with nestrr and with eu-addr2line or
// binutils addr2line, and sorting the differences into categories.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace nestrr_test {

// `count` addresses spread over the executable sections of `elf` (every
// one inside a section; deterministic).
std::vector<uint64_t> text_addresses(const std::filesystem::path& elf, size_t count);

// Splits `-a` output (a "0x%016x" line, then that address's lines) into
// blocks by address.
std::map<uint64_t, std::vector<std::string>> address_blocks(const std::string& text);

enum class Tool { kEuAddr2line, kBinutilsAddr2line };

struct Comparison {
  size_t addresses = 0;
  size_t agree = 0;
  std::map<std::string, size_t> categories;       // category -> addresses
  std::map<std::string, std::string> example;     // category -> one address's two outputs
  std::string summary() const;
};

// Runs the tool once over all addresses (`-a -f -i -e elf`, addresses on
// stdin) and nestrr's symbolizer in-process; compares address by address.
Comparison compare_with(Tool tool, const std::filesystem::path& elf,
                        const std::vector<std::filesystem::path>& debug_dirs,
                        const std::vector<uint64_t>& addresses, const std::filesystem::path& work_dir);

}  // namespace nestrr_test
