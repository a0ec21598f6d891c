// nestrr's symbolizer against eu-addr2line -f -i (line for line) and
// binutils addr2line -f -i (names and lines, by category) on three real
// binaries: nestrr itself, Debian's libc with its separate debug info, and
// an -O2 -g test program with inlining.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "compare.h"

namespace fs = std::filesystem;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kScale = 4;  // libdw under ASan is slow: fewer addresses
#else
constexpr size_t kScale = 1;
#endif

struct Case {
  const char* name;
  fs::path elf;
  std::vector<fs::path> debug_dirs;
  size_t count;
};

class Compare : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nestrr-symcmp-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // eu-addr2line must agree exactly, except where it contradicts itself:
  // its inline chain comes from dwarf_getscopes_die while its first line
  // comes from dwarf_getscopes, and the two pick different instances when
  // inlined ranges overlap ("inline chain column"/"call site").
  void Run(const Case& c) {
    if (!fs::exists(c.elf)) GTEST_SKIP() << c.elf << " missing";
    auto addrs = nestrr_test::text_addresses(c.elf, c.count / kScale);
    ASSERT_GE(addrs.size(), 100u);  // "thousands" in normal builds, a quarter under ASan
    auto eu = nestrr_test::compare_with(nestrr_test::Tool::kEuAddr2line, c.elf, c.debug_dirs, addrs, dir_);
    std::cout << c.name << " vs eu-addr2line: " << eu.summary() << "\n";
    for (auto& [cat, ex] : eu.example) std::cout << "  [" << cat << "] " << ex.substr(0, 600) << "\n";
    size_t tolerated = 0;
    for (auto& [cat, n] : eu.categories)
      if (cat.rfind("inline chain", 0) == 0 || cat == "function name") tolerated += n;
    EXPECT_EQ(eu.agree + tolerated, eu.addresses);
    EXPECT_LE(tolerated * 100, eu.addresses * 2) << "more than 2% in tolerated categories";
    auto bu = nestrr_test::compare_with(nestrr_test::Tool::kBinutilsAddr2line, c.elf, c.debug_dirs, addrs, dir_);
    std::cout << c.name << " vs addr2line: " << bu.summary() << "\n";
    EXPECT_GE(bu.agree * 100, bu.addresses * 60) << "binutils agreement fell";
  }
  fs::path dir_;
};

TEST_F(Compare, NestrrBinary) { Run({"nestrr", NESTRR_BIN, {}, 2000}); }

TEST_F(Compare, DebianLibcWithDebugPackage) {
  Run({"libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", {"/usr/lib/debug"}, 2000});
}

TEST_F(Compare, InliningTestProgram) { Run({"assert_program", ASSERT_PROGRAM, {}, 2000}); }

}  // namespace
