// Helpers of the gdbstub tests: run a command line and capture what it
// prints, make the assertion program's log, drive gdb in batch mode.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>
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

// `nestrr gdbserver ARGS --port 0` in the background: the port it printed,
// its stderr so far, and whether it has exited.
class TcpServer {
 public:
  TcpServer(const std::string& nestrr, const std::string& args, const std::filesystem::path& dir)
      : err_((dir / "server.err").string()) {
    const std::string pid_file = (dir / "server.pid").string();
    std::string cmd = quote(nestrr) + " gdbserver " + args + " --port 0 2>" + quote(err_) +
                      " & echo $! >" + quote(pid_file);
    if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "cannot start: " << cmd;
    pid_ = run("cat " + quote(pid_file));
    while (!pid_.empty() && (pid_.back() == '\n' || pid_.back() == ' ')) pid_.pop_back();
    std::regex re(R"(listening on 127\.0\.0\.1:(\d+))");
    for (int i = 0; i < 400 && port_.empty(); ++i) {
      std::smatch m;
      std::string text = stderr_text();
      if (std::regex_search(text, m, re)) port_ = m[1];
      else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (port_.empty()) ADD_FAILURE() << "no port printed: " << stderr_text();
  }
  ~TcpServer() {
    if (!pid_.empty()) std::system(("kill -9 " + pid_ + " 2>/dev/null").c_str());
  }
  const std::string& port() const { return port_; }
  const std::string& pid() const { return pid_; }
  std::string stderr_text() const { return run("cat " + quote(err_)); }
  // Waits up to `seconds` for `text` to appear on its stderr.
  bool wait_for_stderr(const std::string& text, double seconds = 10) const {
    for (int i = 0; i < seconds * 20; ++i) {
      if (stderr_text().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // Waits up to `seconds` for the process to be gone.
  bool wait_for_exit(double seconds = 10) const {
    for (int i = 0; i < seconds * 20; ++i) {
      if (std::system(("kill -0 " + pid_ + " 2>/dev/null").c_str()) != 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

 private:
  std::string err_, pid_, port_;
};

}  // namespace nestrr::gdbstub::testing
