// Running a command line from a test the way a user would, and reading
// what it printed: the shared helpers of the suites that drive `nestrr`,
// gdb or QEMU as programs.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace nestrr::test_cli {

struct CliResult {
  int code = -1;  // exit status, -1 if the command did not exit
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A string as one shell word.
inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// `cd DIR && COMMAND`, stdout and stderr kept apart (in DIR/out.txt and
// DIR/err.txt).
inline CliResult run_in(const std::filesystem::path& dir, const std::string& command) {
  const std::filesystem::path out = dir / "out.txt", err = dir / "err.txt";
  std::string line = "cd " + quote(dir.string()) + " && " + command + " >" + quote(out.string()) + " 2>" +
                     quote(err.string());
  int st = std::system(line.c_str());
  return {exit_code(st), slurp(out), slurp(err)};
}

// stdout and stderr of `sh -c command`, merged, with its exit status.
inline std::string run(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int s = ::pclose(p);
  if (status) *status = exit_code(s);
  return out;
}

}  // namespace nestrr::test_cli
