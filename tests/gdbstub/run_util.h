// Helpers of the gdbstub tests: run a command line and capture what it
// prints, make the assertion program's log, drive gdb in batch mode.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace nestrr::gdbstub::testing {

// stdout and stderr of `sh -c command`, with its exit status.
inline std::string run(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int s = ::pclose(p);
  if (status) *status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
  return out;
}

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

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
