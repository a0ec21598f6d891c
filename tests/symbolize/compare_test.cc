// nestrr's symbolizer against eu-addr2line -f -i (line for line) and
// binutils addr2line -f -i (names and lines, by category) on three real
// binaries: nestrr itself, Debian's libc with its separate debug info, and
// an -O2 -g test program with inlining.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

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

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// One block of lines per "0x%016x" address line.
std::vector<std::string> address_blocks(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  static const std::regex addr("^0x[0-9a-f]{16}$"), discriminator(" \\(discriminator [0-9]+\\)$");
  while (std::getline(in, line)) {
    if (std::regex_match(line, addr)) out.emplace_back();
    if (out.empty()) continue;
    out.back() += std::regex_replace(line, discriminator, "") + "\n";
  }
  return out;
}

// `nestrr symbolize -a -f -i` reads stdin and prints binutils addr2line's
// lines: the same blocks, one per address, mostly the same answers.
TEST_F(Compare, CliPrintsAddr2lineLines) {
  auto addrs = nestrr_test::text_addresses(ASSERT_PROGRAM, 1000 / kScale);
  fs::path in = dir_ / "in.txt";
  {
    std::ofstream f(in);
    for (auto a : addrs) f << std::hex << "0x" << a << "\n";
  }
  std::string tail = std::string(" -a -f -i -e '") + ASSERT_PROGRAM + "' < '" + in.string() + "' > '";
  ASSERT_EQ(std::system((std::string(NESTRR_BIN) + " symbolize" + tail + (dir_ / "ours").string() + "'").c_str()), 0);
  (void)std::system(("addr2line" + tail + (dir_ / "theirs").string() + "'").c_str());
  auto ours = address_blocks(slurp(dir_ / "ours"));
  auto theirs = address_blocks(slurp(dir_ / "theirs"));
  ASSERT_EQ(ours.size(), addrs.size());
  ASSERT_EQ(theirs.size(), addrs.size());
  size_t agree = 0;
  for (size_t i = 0; i < ours.size(); i++) agree += ours[i] == theirs[i];
  std::cout << agree << " of " << ours.size() << " addresses answered as addr2line does\n";
  EXPECT_GE(agree * 100, ours.size() * 85);
}

// --output-style=JSON: one llvm-symbolizer object per address, in order.
TEST_F(Compare, CliPrintsLlvmSymbolizerJson) {
  auto addrs = nestrr_test::text_addresses(ASSERT_PROGRAM, 50);
  std::string cmd = std::string(NESTRR_BIN) + " symbolize --output-style=JSON -e '" + ASSERT_PROGRAM + "'";
  for (auto a : addrs) {
    char buf[24];
    std::snprintf(buf, sizeof buf, " 0x%llx", (unsigned long long)a);
    cmd += buf;
  }
  cmd += " > '" + (dir_ / "json").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::istringstream lines(slurp(dir_ / "json"));
  std::string line;
  size_t i = 0, named = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(i, addrs.size());
    char head[48];
    std::snprintf(head, sizeof head, "{\"Address\":\"0x%llx\",", (unsigned long long)addrs[i++]);
    EXPECT_EQ(line.rfind(head, 0), 0u) << line;
    EXPECT_NE(line.find("\"Symbol\":[{"), std::string::npos) << line;
    EXPECT_EQ(line.back(), '}');
    named += line.find("\"FunctionName\":\"\"") == std::string::npos;
  }
  EXPECT_EQ(i, addrs.size());
  EXPECT_GE(named * 10, addrs.size() * 8) << "most addresses in .text have a function";
}

}  // namespace
