// Helpers of the gdbstub tests: run a command line and capture what it
// prints, make the assertion program's log, drive gdb in batch mode.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "run_command.h"

namespace nestrr::gdbstub::testing {

using nestrr::test_cli::quote;
using nestrr::test_cli::run;

// A fresh directory for one test's files.
inline std::filesystem::path temp_dir() {
  std::string t = (std::filesystem::temp_directory_path() / "nestrr-gdbstub-XXXXXX").string();
  if (!::mkdtemp(t.data())) ADD_FAILURE() << "mkdtemp failed";
  return t;
}

// gdb -batch on `program` with one -ex per command; the output of all.
inline std::string gdb_batch(const std::string& program, const std::vector<std::string>& commands) {
  std::string cmd = "timeout 120 gdb -nx -batch";
  for (const auto& c : commands) cmd += " -ex " + quote(c);
  return run(cmd + " " + quote(program) + " </dev/null");
}

}  // namespace nestrr::gdbstub::testing
