// Stacks and listings from a real assertion record: assert_program fails
// find_current_vmcs12 (inlined into flush_effect) under
// Flusher::flush_ept02, nmi_check_quiesce and main, and logs an NMI that
// interrupted nmi_check_quiesce. Library-level and `nestrr` command tests.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nestrr/eventlog/log.h"
#include "nestrr/symbolize/listing.h"
#include "nestrr/symbolize/stack.h"
#include "nestrr/symbolize/stack_format.h"
#include "run_command.h"

namespace fs = std::filesystem;
namespace ns = nestrr::symbolize;

namespace {

// One log for the whole suite: the program runs once.
class StackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("nestrr-stack-" + std::to_string(getpid())));
    fs::create_directories(*dir_);
    std::string cmd = std::string("'") + ASSERT_PROGRAM + "' '" + (*dir_ / "run.nrr").string() + "' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    log_ = new nestrr::eventlog::Log(nestrr::eventlog::read_log_file(*dir_ / "run.nrr"));
    ns::ModuleSetOptions mo;
    mo.elf_files.emplace_back(ASSERT_PROGRAM);
    sym_ = new ns::Symbolizer(ns::ModuleSet::from_log(&*log_->header, mo));
  }
  static void TearDownTestSuite() {
    delete sym_;
    delete log_;
    fs::remove_all(*dir_);
    delete dir_;
  }

  static ns::StackSnapshot snapshot(bool assertion) {
    for (const auto& s : log_->streams)
      for (const auto& e : s.events)
        if (assertion ? e.record.has_assertion_failure() : e.record.has_nmi_received())
          return *ns::StackSnapshot::from_record(e.record);
    ADD_FAILURE() << "record missing";
    return {};
  }

  using Result = nestrr::test_cli::CliResult;
  static Result nestrr(const std::string& args) {
    return nestrr::test_cli::run_in(*dir_, std::string("'") + NESTRR_BIN + "' " + args);
  }

  static fs::path* dir_;
  static nestrr::eventlog::Log* log_;
  static ns::Symbolizer* sym_;
};
fs::path* StackTest::dir_;
nestrr::eventlog::Log* StackTest::log_;
ns::Symbolizer* StackTest::sym_;

// Logical frame names, innermost first.
std::vector<std::string> names(const ns::Stack& s) {
  std::vector<std::string> out;
  for (const auto& f : s.frames)
    for (const auto& l : ns::logical_frames(*f.info)) out.push_back(l.function);
  return out;
}

TEST_F(StackTest, AssertionStackHasTheProgramsCallChainInOrder) {
  ns::Stack s = ns::build_stack(snapshot(true), *sym_);
  auto n = names(s);
  const char* expected[] = {"find_current_vmcs12", "flush_effect", "flush_ept02", "nmi_check_quiesce", "main"};
  ASSERT_GE(n.size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); i++)
    EXPECT_NE(n[i].find(expected[i]), std::string::npos) << "frame " << i << " is " << n[i];
  EXPECT_FALSE(s.stop_reason.empty());
  EXPECT_EQ(s.frames[0].raw.method, ns::UnwindMethod::kRegisters);
}

TEST_F(StackTest, CfiAndFramePointersBothUnwindAndAgree) {
  ns::Stack s = ns::build_stack(snapshot(true), *sym_);
  ASSERT_GE(s.cfi.frames.size(), 3u) << s.cfi.stop_reason;
  ASSERT_GE(s.fp.frames.size(), 5u) << s.fp.stop_reason;  // through main, with the logger's walk
  size_t both = std::min(s.cfi.frames.size(), s.fp.frames.size());
  for (size_t i = 0; i < both; i++) EXPECT_EQ(s.cfi.frames[i].pc, s.fp.frames[i].pc) << "frame " << i;
  EXPECT_EQ(s.cfi.frames[1].method, ns::UnwindMethod::kCfi);
  EXPECT_EQ(s.fp.frames[1].method, ns::UnwindMethod::kFramePointer);
  EXPECT_FALSE(s.cfi.stop_reason.empty());
  EXPECT_FALSE(s.fp.stop_reason.empty());
  // The merged stack prefers CFI and says which method gave each frame.
  EXPECT_EQ(s.frames[1].raw.method, ns::UnwindMethod::kCfi);
}

TEST_F(StackTest, TreeIsOutermostFirstAndGdbFormNumbersFrames) {
  ns::Stack s = ns::build_stack(snapshot(true), *sym_);
  std::string tree = ns::format_stack_tree(s);
  size_t main_at = tree.find("main");
  size_t leaf_at = tree.find("  find_current_vmcs12");
  ASSERT_NE(main_at, std::string::npos) << tree;
  ASSERT_NE(leaf_at, std::string::npos) << tree;
  EXPECT_LT(main_at, leaf_at) << tree;
  EXPECT_NE(tree.find("assertion failed: v->has_vmcs12()"), std::string::npos) << tree;
  EXPECT_NE(tree.find("[cfi]"), std::string::npos) << tree;
  EXPECT_NE(tree.find("unwinding stopped: "), std::string::npos) << tree;
  std::string gdb = ns::format_stack_gdb(s);
  EXPECT_EQ(gdb.rfind("#0  0x", 0), 0u) << gdb;
  EXPECT_NE(gdb.find(" in find_current_vmcs12"), std::string::npos) << gdb;
  EXPECT_NE(gdb.find("assert_program.cc:"), std::string::npos) << gdb;
}

TEST_F(StackTest, NmiRecordGivesTheInterruptedFunctionAndSaysWhyNoMore) {
  ns::Stack s = ns::build_stack(snapshot(false), *sym_);
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_NE(s.frames[0].info->symbol.find("nmi_check_quiesce"), std::string::npos);
  EXPECT_FALSE(s.frames[0].raw.return_address);
  EXPECT_NE(s.stop_reason.find("only the interrupted RIP"), std::string::npos) << s.stop_reason;
}

TEST_F(StackTest, ListingMarksTheCallAndShowsSourceText) {
  ns::ListingOptions o;
  o.pc_is_return_address = true;
  o.source_dir = fs::path(SOURCE_DIR);
  std::string l = ns::format_listing(*sym_, snapshot(true).pc, o);
  EXPECT_NE(l.find("\n->  "), std::string::npos) << l;
  size_t arrow = l.find("\n->  ");
  EXPECT_NE(l.substr(arrow, l.find('\n', arrow + 1) - arrow).find("call"), std::string::npos) << l;
  EXPECT_NE(l.find("NESTRR_ASSERT(&g_lg, 0, v->has_vmcs12());"), std::string::npos) << l;
  EXPECT_NE(l.find("%r"), std::string::npos) << "AT&T by default\n" << l;
  EXPECT_EQ(l.find("source not available"), std::string::npos) << l;
}

TEST_F(StackTest, ListingWithoutSourcesSaysSoAndIntelChangesSyntax) {
  ns::ListingOptions o;
  o.intel = true;
  auto nmi = snapshot(false);
  std::string l = ns::format_listing(*sym_, nmi.pc, o);
  EXPECT_NE(l.find("source not available"), std::string::npos) << l;
  EXPECT_NE(l.find("assert_program.cc:"), std::string::npos) << l;
  EXPECT_EQ(l.find('%'), std::string::npos) << "Intel syntax has no %\n" << l;
  EXPECT_NE(l.find("\n->  "), std::string::npos) << l;
}

TEST_F(StackTest, StackCommandPrintsTreeAndBacktrace) {
  auto r = nestrr("stack run.nrr --elf '" ASSERT_PROGRAM "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("assertion failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("#1 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("flush_ept02"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unwinding stopped: "), std::string::npos) << r.out;
}

TEST_F(StackTest, StackCommandOnTheNmiEvent) {
  // Event 0 of the merged timeline is the NMI (CPU 1 logs it first).
  auto dump = nestrr("dump run.nrr");
  ASSERT_EQ(dump.code, 0) << dump.err;
  size_t index = 0, found = std::string::npos;
  std::istringstream lines(dump.out);
  for (std::string line; std::getline(lines, line); index++)
    if (line.find("nmi") != std::string::npos) {
      found = index;
      break;
    }
  ASSERT_NE(found, std::string::npos) << dump.out;
  auto r = nestrr("stack run.nrr --elf '" ASSERT_PROGRAM "' --event " + std::to_string(found));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("nmi_check_quiesce"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("only the interrupted RIP"), std::string::npos) << r.out;
}

TEST_F(StackTest, ListingCommand) {
  auto r = nestrr("listing run.nrr --elf '" ASSERT_PROGRAM "' --source-dir '" SOURCE_DIR "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\n->  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("v->has_vmcs12()"), std::string::npos) << r.out;
  auto intel = nestrr("listing run.nrr --elf '" ASSERT_PROGRAM "' --intel");
  ASSERT_EQ(intel.code, 0) << intel.err;
  EXPECT_NE(intel.out.find("source not available"), std::string::npos) << intel.out;
  EXPECT_EQ(intel.out.find('%'), std::string::npos) << intel.out;
  const ns::AddrInfo& main_info = sym_->lookup(snapshot(true).pc - 1);
  char addr[32];
  std::snprintf(addr, sizeof addr, "%llx", static_cast<unsigned long long>(main_info.symbol_start));
  auto by_addr = nestrr(std::string("listing run.nrr --elf '" ASSERT_PROGRAM "' --addr ") + addr);
  ASSERT_EQ(by_addr.code, 0) << by_addr.err;
  EXPECT_NE(by_addr.out.find(std::string("->  ") + addr + ":"), std::string::npos) << by_addr.out;
}

TEST_F(StackTest, DumpNamesHypervisorCodeAddressesGivenTheElf) {
  auto bare = nestrr("dump run.nrr");
  ASSERT_EQ(bare.code, 0) << bare.err;
  EXPECT_EQ(bare.out.find(" <"), std::string::npos) << bare.out;
  auto named = nestrr("dump run.nrr --elf '" ASSERT_PROGRAM "'");
  ASSERT_EQ(named.code, 0) << named.err;
  std::istringstream lines(named.out);
  bool nmi = false, assertion = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("nmi_received") != std::string::npos) {
      nmi = true;
      EXPECT_NE(line.find(" <nmi_check_quiesce+4 assert_program.cc:"), std::string::npos) << line;
    }
    if (line.find("assertion_failure") != std::string::npos) {
      assertion = true;
      // The RIP follows the logger call: named by the call's line, inside
      // the inlined function.
      EXPECT_NE(line.find("flush_effect+"), std::string::npos) << line;
      EXPECT_NE(line.find("[inlined find_current_vmcs12] assert_program.cc:64>"), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(nmi && assertion) << named.out;
}

// JSON lines carry the same names in a "symbols" map, for every code
// address of the record (the assertion's return addresses too).
TEST_F(StackTest, DumpJsonNamesCodeAddressesGivenTheElf) {
  auto bare = nestrr("dump run.nrr --json");
  ASSERT_EQ(bare.code, 0) << bare.err;
  EXPECT_EQ(bare.out.find("\"symbols\""), std::string::npos) << bare.out;
  auto named = nestrr("dump run.nrr --json --elf '" ASSERT_PROGRAM "'");
  ASSERT_EQ(named.code, 0) << named.err;
  std::istringstream lines(named.out);
  bool nmi = false, assertion = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"kind\":\"nmi_received\"") != std::string::npos) {
      nmi = true;
      EXPECT_NE(line.find("\"symbols\":{\"0x"), std::string::npos) << line;
      EXPECT_NE(line.find(":\"nmi_check_quiesce+4 assert_program.cc:"), std::string::npos) << line;
    }
    if (line.find("\"kind\":\"assertion_failure\"") != std::string::npos) {
      assertion = true;
      EXPECT_NE(line.find("[inlined find_current_vmcs12] assert_program.cc:64"), std::string::npos) << line;
      EXPECT_NE(line.find("nmi_check_quiesce"), std::string::npos) << "a return address: " << line;
      EXPECT_NE(line.find(":\"main+"), std::string::npos) << "the outermost return address: " << line;
    }
  }
  EXPECT_TRUE(nmi && assertion) << named.out;
}

TEST_F(StackTest, InfoNamesTheAssertionSiteAndTheModuleFile) {
  auto r = nestrr("info run.nrr --elf '" ASSERT_PROGRAM "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("assertion failed on cpu0 #0: v->has_vmcs12() at rip=0x"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[inlined find_current_vmcs12] assert_program.cc:64>"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("module assert_program: file "), std::string::npos) << r.out;
  auto bare = nestrr("info run.nrr");
  ASSERT_EQ(bare.code, 0) << bare.err;
  EXPECT_EQ(bare.out.find("assertion failed on"), std::string::npos) << bare.out;
  auto mismatch = nestrr("dump run.nrr --elf '" NESTRR_BIN "'");
  EXPECT_EQ(mismatch.code, 3);
  EXPECT_NE(mismatch.err.find("build-id"), std::string::npos) << mismatch.err;
  EXPECT_EQ(nestrr("info run.nrr --elf no-such-file").code, 3);
}

TEST_F(StackTest, BadInputExitsThree) {
  auto missing = nestrr("stack run.nrr --elf no-such-file");
  EXPECT_EQ(missing.code, 3);
  EXPECT_NE(missing.err.find("no-such-file"), std::string::npos) << missing.err;
  // Another ELF in place of the logged module: its build-id differs.
  auto mismatch = nestrr("stack run.nrr --elf '" NESTRR_BIN "'");
  EXPECT_EQ(mismatch.code, 3);
  EXPECT_NE(mismatch.err.find("build-id"), std::string::npos) << mismatch.err;
  auto listing = nestrr("listing run.nrr --elf '" NESTRR_BIN "'");
  EXPECT_EQ(listing.code, 3);
  auto no_log = nestrr("stack missing.nrr --elf '" ASSERT_PROGRAM "'");
  EXPECT_EQ(no_log.code, 3);
  // An --event past the log's end names what the log does not have: usage.
  auto no_regs = nestrr("stack run.nrr --elf '" ASSERT_PROGRAM "' --event 100000");
  EXPECT_EQ(no_regs.code, 2);
  auto usage = nestrr("listing run.nrr --elf '" ASSERT_PROGRAM "' --event 0 --addr 10");
  EXPECT_EQ(usage.code, 2);
}

}  // namespace
