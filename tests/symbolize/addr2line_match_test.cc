// `nestrr symbolize -a -f -i` against binutils `addr2line -a -f -i`,
// address for address: the freestanding core at -O0 and -O3, the
// inlining test program, the nestrr binary and Debian's libc. Every
// difference must belong to a class documented in bench/README.md, and
// each class has its own test here:
//  - first-file: binutils 2.40 reads DWARF 5's initial file register as
//    file 0 (the CU's file) where DWARF 5 (and libdw, eu-addr2line, we)
//    say file 1;
//  - history: in a long batch addr2line's answer for an address can
//    depend on what it was asked before (its compilation-unit trie, and
//    heap addresses it compares); asked alone it gives our answer.
// Also: the index is shared per build-id, and bad input is an error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "compare.h"
#include "nestrr/symbolize/elf_index.h"
#include "run_command.h"

namespace fs = std::filesystem;
namespace sym = nestrr::symbolize;
using nestrr::test_cli::quote;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kScale = 4;  // fewer addresses under ASan
#else
constexpr size_t kScale = 1;
#endif

using Blocks = std::map<uint64_t, std::vector<std::string>>;

class Addr2lineMatch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nestrr-a2l-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `tool_prefix -a -f -i` (the ELF already named) over `addrs` on
  // stdin; blocks by address, discriminators kept.
  Blocks run(const std::string& tool_prefix, const std::vector<uint64_t>& addrs) {
    fs::path in = dir_ / "in.txt", out = dir_ / "out.txt";
    {
      std::ofstream f(in);
      for (auto a : addrs) f << std::hex << "0x" << a << "\n";
    }
    std::string cmd = tool_prefix + " -a -f -i < " + quote(in.string()) + " > " + quote(out.string()) + " 2>/dev/null";
    (void)std::system(cmd.c_str());  // addr2line exits 1 when an address has no line
    return nestrr_test::address_blocks(nestrr::test_cli::slurp(out));
  }

  static std::string nestrr(const fs::path& elf, const std::vector<std::string>& debug_dirs = {}) {
    std::string cmd = quote(NESTRR_BIN) + " symbolize -e " + quote(elf.string());
    for (auto& d : debug_dirs) cmd += " --debug-dir " + quote(d);
    return cmd;
  }
  static std::string addr2line(const fs::path& elf) { return "addr2line -e " + quote(elf.string()); }

  // First-file class: the same lines but the first location's file.
  static bool first_file_class(const std::vector<std::string>& ours, const std::vector<std::string>& theirs) {
    if (ours.size() != theirs.size() || ours.size() < 2) return false;
    for (size_t i = 0; i < ours.size(); i++)
      if (i != 1 && ours[i] != theirs[i]) return false;
    // The same line number ("file:?" has none: a different file there is
    // no first-file case).
    auto line_of = [](const std::string& l) { return l.substr(l.rfind(':') + 1); };
    std::string line = line_of(ours[1]);
    return ours[1] != theirs[1] && line == line_of(theirs[1]) && !line.empty() && std::isdigit((unsigned char)line[0]);
  }

  struct Tally {
    size_t agree = 0, first_file = 0, history = 0, unexplained = 0;
    std::string examples;
  };

  Tally compare(const fs::path& elf, size_t count, const std::vector<std::string>& debug_dirs = {}) {
    auto addrs = nestrr_test::text_addresses(elf, count / kScale);
    EXPECT_GE(addrs.size(), 100u);
    Blocks ours = run(nestrr(elf, debug_dirs), addrs);
    Blocks theirs = run(addr2line(elf), addrs);
    Tally t;
    std::vector<uint64_t> alone;
    for (auto a : addrs) {
      const auto& o = ours[a];
      const auto& th = theirs[a];
      EXPECT_FALSE(o.empty()) << std::hex << a;
      if (o == th) {
        t.agree++;
      } else if (first_file_class(o, th)) {
        t.first_file++;
      } else {
        alone.push_back(a);
      }
    }
    // The history class: asked alone, addr2line must give our answer.
    EXPECT_LE(alone.size(), addrs.size() / 100 + 5) << "too many answers differ from addr2line's";
    for (auto a : alone) {
      Blocks single = run(addr2line(elf), {a});
      if (single[a] == ours[a]) {
        t.history++;
        continue;
      }
      t.unexplained++;
      char head[40];
      std::snprintf(head, sizeof head, "0x%llx\n  nestrr:   ", (unsigned long long)a);
      t.examples += head;
      for (auto& l : ours[a]) t.examples += l + " | ";
      t.examples += "\n  addr2line:";
      for (auto& l : single[a]) t.examples += " " + l + " |";
      t.examples += "\n";
    }
    std::printf("%s: %zu addresses, %zu agree, first-file %zu, history %zu, unexplained %zu\n",
                elf.filename().c_str(), addrs.size(), t.agree, t.first_file, t.history, t.unexplained);
    EXPECT_EQ(t.unexplained, 0u) << t.examples;
    return t;
  }

  fs::path dir_;
};

TEST_F(Addr2lineMatch, CoreAtO0) { compare(fs::path(FIXTURES) / "core_O0.so", 3000); }

TEST_F(Addr2lineMatch, CoreAtO3) {
  // -O3 inlines heavily: the inline chains must match too.
  Tally t = compare(fs::path(FIXTURES) / "core_O3.so", 3000);
  EXPECT_EQ(t.first_file, 0u) << "GCC starts no -O3 sequence of the core in a header";
}

TEST_F(Addr2lineMatch, InliningTestProgram) { compare(ASSERT_PROGRAM, 2000); }

TEST_F(Addr2lineMatch, NestrrBinary) {
#if defined(__SANITIZE_ADDRESS__)
  // The -O0 ASan binary's DWARF takes addr2line and the instrumented index
  // half a minute; symbolize_tests' comparison covers it in-process.
  GTEST_SKIP() << "release builds only";
#endif
  compare(NESTRR_BIN, 1000);
}

TEST_F(Addr2lineMatch, DebianLibcWithDebugPackage) {
  fs::path libc = "/lib/x86_64-linux-gnu/libc.so.6";
  if (!fs::exists(libc)) GTEST_SKIP() << libc << " missing";
  compare(libc, 1000, {"/usr/lib/debug"});
}

// first-file: rows before any DW_LNS_set_file are in file 1 (DWARF 5,
// 6.2.2); binutils 2.40 names file 0, the CU's own file.
TEST_F(Addr2lineMatch, FirstFileClassIsDwarf5sInitialFileRegister) {
  fs::path elf = fs::path(FIXTURES) / "first_file_program";
  auto index = sym::ElfIndex::open(elf, {});
  // The address of helper(), from the ELF symbol addr2line falls back to.
  auto addrs = nestrr_test::text_addresses(elf, 4000);
  uint64_t helper = 0;
  sym::GnuAnswer answer;
  for (auto a : addrs) {
    index->lookup(a, answer);
    if (answer.found && answer.frames[0].function == "helper") {
      helper = a;
      break;
    }
  }
  ASSERT_NE(helper, 0u) << "no address in helper()";
  Blocks ours = run(nestrr(elf), {helper});
  Blocks theirs = run(addr2line(elf), {helper});
  Blocks eu = run("eu-addr2line -e " + quote(elf.string()), {helper});
  ASSERT_EQ(ours[helper].size(), 2u);
  EXPECT_EQ(ours[helper][0], "helper");
  EXPECT_NE(ours[helper][1].find("first_file.h:4"), std::string::npos) << ours[helper][1];
  // eu-addr2line (libdw) reads the register as we do.
  ASSERT_GE(eu[helper].size(), 2u);
  EXPECT_NE(eu[helper][1].find("first_file.h:4"), std::string::npos) << eu[helper][1];
  // binutils names the CU's file for the same line.
  ASSERT_EQ(theirs[helper].size(), 2u);
  EXPECT_NE(theirs[helper][1].find("first_file_program.c:4"), std::string::npos) << theirs[helper][1];
  EXPECT_TRUE(first_file_class(ours[helper], theirs[helper]));
}

// history: asked one address per process, nestrr and addr2line agree
// (but for first-file); the index's own lookups depend on the address only.
TEST_F(Addr2lineMatch, HistoryClassAloneBothAgree) {
  std::vector<fs::path> elfs = {fs::path(FIXTURES) / "core_O3.so", ASSERT_PROGRAM};
#if !defined(__SANITIZE_ADDRESS__)
  elfs.push_back(NESTRR_BIN);
#endif
  for (const auto& e : elfs) {
    auto sample = nestrr_test::text_addresses(e, 2000);
    for (size_t i = 0; i < sample.size(); i += sample.size() / 8) {
      uint64_t a = sample[i];
      Blocks ours = run(nestrr(e), {a});
      Blocks theirs = run(addr2line(e), {a});
      EXPECT_TRUE(ours[a] == theirs[a] || first_file_class(ours[a], theirs[a])) << e << std::hex << " " << a;
    }
  }
  fs::path elf = ASSERT_PROGRAM;
  auto addrs = nestrr_test::text_addresses(elf, 2000 / kScale);
  auto index = sym::ElfIndex::open(elf, {});
  std::map<uint64_t, std::vector<std::string>> forwards;
  sym::GnuAnswer answer;
  auto lines = [&](uint64_t a) {
    index->lookup(a, answer);
    std::vector<std::string> l;
    for (auto& f : answer.frames) l.push_back(std::string(f.function) + " " + std::string(f.file) + ":" +
                                              std::to_string(f.line));
    return l;
  };
  for (auto a : addrs) forwards[a] = lines(a);
  for (auto it = addrs.rbegin(); it != addrs.rend(); ++it) ASSERT_EQ(lines(*it), forwards[*it]) << std::hex << *it;
}

// addr2line names a function that has no linkage name (main, in C++) by
// the ELF symbol holding the first address asked in it, and by the symbol
// at its start from then on: `nestrr symbolize` follows the same history.
TEST_F(Addr2lineMatch, NamingFollowsAddr2linesHistory) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "an -O0 build has no main.cold";
#endif
  fs::path elf = NESTRR_BIN;
  auto index = sym::ElfIndex::open(elf, {});
  uint64_t hot = 0, cold = 0;
  sym::GnuAnswer answer;
  for (auto a : nestrr_test::text_addresses(elf, 200000 / kScale)) {
    sym::Addr2lineSession fresh(index);
    fresh.lookup(a, answer);
    if (!answer.found) continue;
    if (!cold && answer.frames[0].function == "main.cold") cold = a;
    if (!hot && answer.frames[0].function == "main") hot = a;
    if (hot && cold) break;
  }
  if (!hot || !cold) GTEST_SKIP() << "main has no .cold part in this build";
  for (const std::vector<uint64_t>& order : {std::vector<uint64_t>{cold, hot, cold}, {hot, cold, hot}}) {
    // One process per order: blocks by address would merge repeats.
    fs::path in = dir_ / "order.txt";
    {
      std::ofstream f(in);
      for (auto a : order) f << std::hex << "0x" << a << "\n";
    }
    auto out = [&](const std::string& tool) {
      return nestrr::test_cli::run_in(dir_, tool + " -f < " + quote(in.string())).out;
    };
    EXPECT_EQ(out(nestrr(elf)), out(addr2line(elf)));
  }
}

// With --log, runtime addresses go through the log's module table: the
// assertion's logged rip (minus one: it follows the logger call) gets
// what addr2line says at the link-time address.
TEST_F(Addr2lineMatch, LogModuleTableMapsRuntimeAddresses) {
  auto sh = [&](const std::string& cmd) { return nestrr::test_cli::run_in(dir_, cmd); };
  ASSERT_EQ(sh(quote(ASSERT_PROGRAM) + " run.nrr >/dev/null").code, 0);
  auto dump = sh(quote(NESTRR_BIN) + " dump run.nrr --elf " + quote(ASSERT_PROGRAM));
  ASSERT_EQ(dump.code, 0) << dump.err;
  // "... rip=0x55e1be18b40e <(anonymous namespace)::flush_effect+62 ..."
  std::smatch m;
  static const std::regex rip(R"(assertion_failure.* rip=0x([0-9a-f]+) <[^>]*flush_effect\+([0-9]+))");
  ASSERT_TRUE(std::regex_search(dump.out, m, rip)) << dump.out;
  uint64_t runtime = std::stoull(m[1].str(), nullptr, 16);
  uint64_t offset = std::stoull(m[2].str());
  auto nm = sh("nm " + quote(ASSERT_PROGRAM) + " | grep flush_effect");
  ASSERT_EQ(nm.code, 0) << nm.err;
  uint64_t link_start = std::stoull(nm.out.substr(0, nm.out.find(' ')), nullptr, 16);
  uint64_t link = link_start + offset - 1;
  char a[32], b[32];
  std::snprintf(a, sizeof a, "0x%llx", (unsigned long long)(runtime - 1));
  std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)link);
  auto ours = sh(quote(NESTRR_BIN) + " symbolize --log run.nrr --elf " + quote(ASSERT_PROGRAM) + " -f -i " + a);
  auto theirs = sh("addr2line -f -i -e " + quote(ASSERT_PROGRAM) + " " + b);
  ASSERT_EQ(ours.code, 0) << ours.err;
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_NE(ours.out.find("assert_program.cc:64"), std::string::npos) << ours.out;
}

TEST(ElfIndex, SharedPerBuildId) {
  auto a = sym::ElfIndex::open(ASSERT_PROGRAM, {});
  auto b = sym::ElfIndex::open(ASSERT_PROGRAM, {});
  EXPECT_EQ(a.get(), b.get());
  EXPECT_FALSE(a->build_id().empty());
  EXPECT_TRUE(a->has_dwarf());
}

TEST(ElfIndex, NotAnElfIsAnError) {
  fs::path p = fs::temp_directory_path() / ("nestrr-not-elf-" + std::to_string(getpid()));
  { std::ofstream(p) << "hello\n"; }
  EXPECT_THROW(sym::ElfIndex::open(p, {}), std::runtime_error);
  EXPECT_THROW(sym::ElfIndex::open(p.string() + ".missing", {}), std::runtime_error);
  auto r = nestrr::test_cli::run_in(fs::temp_directory_path(),
                                    quote(NESTRR_BIN) + " symbolize -f -e " + quote(p.string()) + " 0x10");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("not a readable ELF"), std::string::npos) << r.err;
  fs::remove(p);
}

TEST(ElfIndex, AddressOutsideEverySectionIsUnknown) {
  auto index = sym::ElfIndex::open(ASSERT_PROGRAM, {});
  sym::GnuAnswer answer;
  index->lookup(0xffffffff00000000ull, answer);
  EXPECT_FALSE(answer.found);
  EXPECT_TRUE(answer.frames.empty());
}

}  // namespace
