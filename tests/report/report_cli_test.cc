// `nestrr report` as a user runs it: exit codes for bad input and usage,
// and a report of a run without any failure.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "run_command.h"

namespace fs = std::filesystem;

namespace {

using nestrr::test_cli::slurp;
using Result = nestrr::test_cli::CliResult;

Result sh(const fs::path& dir, const std::string& args) {
  return nestrr::test_cli::run_in(dir, "'" NESTRR_BIN "' " + args);
}

TEST(ReportCli, ErrorsNameTheProblem) {
  fs::path dir = fs::temp_directory_path() / ("nestrr-report-cli-" + std::to_string(getpid()));
  fs::create_directories(dir);
  Result missing = sh(dir, "report missing.nrr -o r.html");
  EXPECT_EQ(missing.code, 3);
  EXPECT_NE(missing.err.find("missing.nrr"), std::string::npos) << missing.err;
  EXPECT_EQ(sh(dir, "report missing.nrr").code, 2) << "no -o is a usage error";
  Result help = sh(dir, "report --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("self-contained HTML"), std::string::npos) << help.out;

  std::ofstream(dir / "empty.nrr").close();
  // An empty file is not a log: refused, as every command does (docs/cli.md).
  Result empty = sh(dir, "report empty.nrr -o empty.html");
  EXPECT_EQ(empty.code, 3) << empty.err;
  EXPECT_NE(empty.err.find("empty.nrr: not a nestrr log: empty"), std::string::npos) << empty.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "empty.html"));

  ASSERT_EQ(sh(dir, "record --variant fixed --cpus 2 --iterations 20 -q -o clean.nrr").code, 0);
  Result elf = sh(dir, "report clean.nrr --elf no-such-file -o r.html");
  EXPECT_EQ(elf.code, 3);
  EXPECT_NE(elf.err.find("no-such-file"), std::string::npos) << elf.err;
  EXPECT_EQ(sh(dir, "report clean.nrr -o no-such-dir/r.html").code, 1);

  Result ok = sh(dir, "report clean.nrr -o clean.html");
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.err.find("merging"), std::string::npos) << "progress goes to stderr: " << ok.err;
  EXPECT_EQ(ok.err.find("failure:"), std::string::npos) << "a clean run has no failure: " << ok.err;
  const std::string page = slurp(dir / "clean.html");
  EXPECT_NE(page.find("data-encoding=\"gzip+base64\">H4sI"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
