// QEMU as a child process with its stdout (COM1) on a pipe into capture().
#include "nestrr/testbox/run.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "nestrr/eventlog/source.h"
#include "nestrr/testbox/exit_codes.h"

extern char** environ;

namespace nestrr::testbox {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  int release(int i) {
    int f = fd[i];
    fd[i] = -1;
    return f;
  }
};

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

const char* end_name(TestboxResult::End end) {
  switch (end) {
    case TestboxResult::End::kAssertion: return "assertion failed";
    case TestboxResult::End::kCompleted: return "completed";
    case TestboxResult::End::kTimeLimit: return "time limit";
    case TestboxResult::End::kPanic: return "testbox panic";
    case TestboxResult::End::kTimeout: return "timeout";
    case TestboxResult::End::kQemuFailed: return "QEMU failed";
  }
  return "?";
}

std::filesystem::path default_image() {
  if (const char* env = std::getenv("NESTRR_TESTBOX_IMAGE")) return env;
  return NESTRR_TESTBOX_DEFAULT_IMAGE;
}

std::optional<std::filesystem::path> find_qemu(const std::string& qemu) {
  if (qemu.find('/') != std::string::npos)
    return ::access(qemu.c_str(), X_OK) == 0 ? std::optional<std::filesystem::path>(qemu) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t at = 0; at <= dirs.size();) {
    size_t end = dirs.find(':', at);
    if (end == std::string::npos) end = dirs.size();
    std::filesystem::path candidate = std::filesystem::path(end > at ? dirs.substr(at, end - at) : ".") / qemu;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    at = end + 1;
  }
  return std::nullopt;
}

std::chrono::milliseconds image_time_limit(const TestboxOptions& o) {
  using std::chrono::milliseconds;
  if (o.time_limit.count() > 0) return o.time_limit;
  milliseconds quarter = o.timeout / 4;
  milliseconds rest = std::max(quarter, milliseconds(5'000));
  return o.timeout > rest + milliseconds(1'000) ? o.timeout - rest : milliseconds(1'000);
}

std::string kernel_command_line(const TestboxOptions& o) {
  uint32_t cpus = o.workload.empty() ? o.cpus : static_cast<uint32_t>(o.workload.size());
  std::string s = "variant=" + o.variant + " cpus=" + std::to_string(cpus) +
                  " iterations=" + std::to_string(o.iterations) + " seed=" + std::to_string(o.seed);
  if (!o.workload.empty()) {
    s += " workload=";
    for (size_t i = 0; i < o.workload.size(); ++i) s += (i ? "," : "") + o.workload[i];
  }
  for (const auto& w : o.widen) s += " widen=" + w;
  s += " time-limit=" + std::to_string(image_time_limit(o).count());
  if (o.flight)
    s += " log=flight";
  else
    s += o.paced ? " log=paced" : " log=stream";
  for (const auto& w : o.extra_append) s += " " + w;
  return s;
}

std::vector<std::string> qemu_command(const TestboxOptions& o) {
  uint32_t cpus = o.workload.empty() ? o.cpus : static_cast<uint32_t>(o.workload.size());
  std::vector<std::string> argv = {
      o.qemu, "-kernel", o.image.string(), "-append", kernel_command_line(o),
      "-accel", "tcg,thread=multi", "-smp", std::to_string(cpus + 1), "-m", "128M",
      "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"};
  if (o.gdb_port) {
    argv.push_back("-gdb");
    argv.push_back("tcp:127.0.0.1:" + std::to_string(*o.gdb_port));
    argv.push_back("-S");
  }
  return argv;
}

TestboxResult run_testbox(const TestboxOptions& o, const std::filesystem::path& output) {
  if (!std::filesystem::exists(o.image))
    throw std::runtime_error("testbox image '" + o.image.string() + "' does not exist");
  std::vector<std::string> args = qemu_command(o);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  Pipe out, err;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out.fd[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err.fd[1], STDERR_FILENO);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, o.qemu.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + o.qemu + ": " + std::strerror(rc));
  ::close(out.release(1));
  ::close(err.release(1));

  TestboxResult result;
  eventlog::CaptureOptions co;
  co.timeout = o.timeout;
  co.progress = o.progress;
  auto source = eventlog::fd_source(out.release(0), "COM1 of " + o.qemu);
  eventlog::CaptureResult cap;
  try {
    cap = eventlog::capture(*source, output, co);
  } catch (...) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  bool timed_out = cap.end == eventlog::CaptureResult::End::kTimeout;
  if (timed_out) ::kill(pid, SIGTERM);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.qemu_stderr = read_all(err.fd[0]);
  result.bytes = cap.bytes;
  result.log = std::move(cap.log);
  result.qemu_status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  if (timed_out) {
    result.end = TestboxResult::End::kTimeout;
  } else if (result.qemu_status == TESTBOX_QEMU_STATUS(TESTBOX_EXIT_ASSERTION)) {
    result.end = TestboxResult::End::kAssertion;
  } else if (result.qemu_status == TESTBOX_QEMU_STATUS(TESTBOX_EXIT_COMPLETED)) {
    result.end = TestboxResult::End::kCompleted;
  } else if (result.qemu_status == TESTBOX_QEMU_STATUS(TESTBOX_EXIT_TIME_LIMIT)) {
    result.end = TestboxResult::End::kTimeLimit;
  } else if (result.qemu_status == TESTBOX_QEMU_STATUS(TESTBOX_EXIT_PANIC)) {
    result.end = TestboxResult::End::kPanic;
  } else {
    result.end = TestboxResult::End::kQemuFailed;
  }
  return result;
}

}  // namespace nestrr::testbox
