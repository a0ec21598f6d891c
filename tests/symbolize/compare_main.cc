// symbolize_compare ELF [COUNT] [DEBUG_DIR]: how nestrr's symbolizer and
// eu-addr2line / addr2line agree on COUNT addresses of ELF, by category.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <unistd.h>

#include "compare.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: symbolize_compare ELF [COUNT] [DEBUG_DIR]\n");
    return 2;
  }
  std::filesystem::path elf = argv[1];
  size_t count = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 3000;
  std::vector<std::filesystem::path> dirs;
  if (argc > 3) dirs.emplace_back(argv[3]);
  auto work = std::filesystem::temp_directory_path() / ("symbolize-compare-" + std::to_string(getpid()));
  std::filesystem::create_directories(work);
  auto addrs = nestrr_test::text_addresses(elf, count);
  for (auto tool : {nestrr_test::Tool::kEuAddr2line, nestrr_test::Tool::kBinutilsAddr2line}) {
    auto c = nestrr_test::compare_with(tool, elf, dirs, addrs, work);
    std::cout << (tool == nestrr_test::Tool::kEuAddr2line ? "eu-addr2line: " : "addr2line:    ")
              << c.summary() << "\n";
    for (auto& [cat, ex] : c.example) std::cout << "  [" << cat << "] " << ex << "\n";
  }
  std::filesystem::remove_all(work);
}
