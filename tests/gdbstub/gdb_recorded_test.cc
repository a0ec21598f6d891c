// Real gdb on recorded states (no re-execution): the assertion program's
// log, over stdio and over a loopback port. The backtrace is the one
// `nestrr stack` prints, code disassembles, unknown memory fails cleanly.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <csignal>
#include <regex>
#include <thread>

#include "race_log.h"
#include "run_util.h"

namespace nestrr::gdbstub {
namespace {

using testing::gdb_batch;
using testing::quote;
using testing::run;
using testing::TcpServer;

struct Files {
  std::filesystem::path dir = testing::temp_dir();
  std::string log;
  Files() {
    log = (dir / "assert.nrr").string();
    int status = -1;
    run(quote(ASSERT_PROGRAM) + " " + quote(log), &status);
    EXPECT_EQ(status, 0);
  }
  std::string stdio_target() const {
    return "target remote | " + quote(NESTRR_BIN) + " gdbserver " + quote(log) + " --elf " +
           quote(ASSERT_PROGRAM) + " --stdio";
  }
};

// Function names of "#N ... in FN (" / "#N FN (" lines, in order.
std::vector<std::string> frame_functions(const std::string& text) {
  std::vector<std::string> out;
  std::regex frame(R"(^#(\d+)\s+(?:0x[0-9a-f]+ in )?(.+?) \()");
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, frame)) {
      std::string fn = m[2];
      // gdb qualifies names in anonymous namespaces and shows parameter
      // lists for methods; compare the last name component.
      size_t colon = fn.rfind("::");
      if (colon != std::string::npos) fn = fn.substr(colon + 2);
      out.push_back(fn);
    }
  }
  return out;
}

TEST(GdbRecorded, BacktraceMatchesNestrrStack) {
  Files f;
  std::string stack = run(quote(NESTRR_BIN) + " stack " + quote(f.log) + " --elf " +
                          quote(ASSERT_PROGRAM) + " --gdb");
  std::vector<std::string> want = frame_functions(stack);
  // Frames the logged modules hold (libc's are outside the log).
  while (!want.empty() && want.back() == "??") want.pop_back();
  ASSERT_GE(want.size(), 4u) << stack;

  std::string out = gdb_batch(ASSERT_PROGRAM, {f.stdio_target(), "bt"});
  std::vector<std::string> got = frame_functions(out);
  ASSERT_GE(got.size(), want.size()) << out;
  got.resize(want.size());
  EXPECT_EQ(got, want) << "gdb:\n" << out << "\nnestrr stack:\n" << stack;
  EXPECT_EQ(want[0], "find_current_vmcs12");
}

TEST(GdbRecorded, ThreadsDisassemblyAndUnknownMemory) {
  Files f;
  std::string out = gdb_batch(ASSERT_PROGRAM, {f.stdio_target(), "info threads", "x/8i $pc",
                                               "x/4xg 0x10", "p/x $rip", "thread 2", "p $rax",
                                               "monitor when"});
  EXPECT_NE(out.find("cpu0: assertion failed"), std::string::npos) << out;
  EXPECT_NE(out.find("cpu1: NMI interrupted here"), std::string::npos) << out;
  // Eight instructions, the first at the logged pc.
  std::regex insn(R"(=> 0x[0-9a-f]+ <[^>]*flush_effect[^>]*>:\s+\S+)");
  EXPECT_TRUE(std::regex_search(out, insn)) << out;
  size_t lines = 0;
  for (size_t p = out.find("=> 0x"); p != std::string::npos && lines < 9; p = out.find("\n   0x", p + 1))
    lines++;
  EXPECT_EQ(lines, 8u) << out;
  EXPECT_NE(out.find("Cannot access memory at address 0x10"), std::string::npos) << out;
  EXPECT_NE(out.find("<unavailable>"), std::string::npos) << out;  // cpu1's rax was never logged
  EXPECT_NE(out.find("event 1 of 2"), std::string::npos) << out;
}

// A host recording stopped by its time limit: no assertion, and a CPU
// that logged no registers at the last event. gdb still attaches and lists
// every CPU; the one without registers is at pc 0 and says why.
TEST(GdbRecorded, AttachesToALogWithoutAssertionOrRegisters) {
  const std::string log = (testing::temp_dir() / "no-assert.nrr").string();
  int status = -1;
  run(quote(NESTRR_BIN) + " record --variant fixed --cpus 2 --time-limit 0.02 -q -o " + quote(log), &status);
  ASSERT_EQ(status, 0);
  std::string out = run("timeout 120 gdb -nx -batch -ex " +
                        quote("target remote | " + quote(NESTRR_BIN) + " gdbserver " + quote(log) + " --stdio") +
                        " -ex 'info threads' -ex 'p/x $pc' </dev/null 2>&1");
  EXPECT_EQ(out.find("PC register is not available"), std::string::npos) << out;
  EXPECT_EQ(out.find("No threads"), std::string::npos) << out;
  EXPECT_NE(out.find("Thread 1 (cpu0"), std::string::npos) << out;
  EXPECT_NE(out.find("Thread 2 (cpu1"), std::string::npos) << out;
  EXPECT_NE(out.find("no registers recorded yet"), std::string::npos) << out;
  EXPECT_NE(out.find("0x0000000000000000 in ?? ()"), std::string::npos) << out;
}

// A log of nestrr record names nestrr itself in its module table and
// holds the failing thread's stack above the assertion's window and the
// failing VCPU: recorded states unwind through the NMI into the VMXON
// handler and show the half-updated mode, with no --elf.
TEST(GdbRecorded, HostLogUnwindsWithoutElf) {
  const auto& r = testing::race();
  ASSERT_TRUE(r.ok);
  std::string out = gdb_batch(NESTRR_BIN, {"target remote | " + quote(NESTRR_BIN) + " gdbserver " + quote(r.log) +
                                               " --stdio",
                                           "thread " + std::to_string(r.failing_cpu + 1), "bt",
                                           "frame function handle_vmxon", "p v->is_vmx_operation",
                                           "p v->is_vmx_root_operation"});
  std::vector<std::string> fns = frame_functions(out);
  auto at = [&](const std::string& fn) { return std::find(fns.begin(), fns.end(), fn) - fns.begin(); };
  ASSERT_LT(at("find_current_vmcs12"), static_cast<long>(fns.size())) << out;
  EXPECT_LT(at("find_current_vmcs12"), at("nmi_handler")) << out;
  EXPECT_LT(at("nmi_handler"), at("handle_vmxon")) << out;
  EXPECT_LT(at("handle_vmxon"), static_cast<long>(fns.size())) << out;
  EXPECT_NE(out.find("$1 = 1\n$2 = 0\n"), std::string::npos) << out;
}

TEST(GdbRecorded, OverALoopbackPort) {
  Files f;
  // The server picks a free port and says which on stderr.
  TcpServer server(NESTRR_BIN, quote(f.log) + " --elf " + quote(ASSERT_PROGRAM), f.dir);
  ASSERT_FALSE(server.port().empty());
  std::string out = gdb_batch(ASSERT_PROGRAM, {"target remote 127.0.0.1:" + server.port(), "bt 1",
                                               "monitor cpu 1", "kill"});
  EXPECT_NE(out.find("find_current_vmcs12"), std::string::npos) << out;
  EXPECT_NE(out.find("last event: event 0"), std::string::npos) << out;
}

// A client that detaches leaves the server listening: a second gdb
// attaches to the same port and sees the same state; its `kill` ends the
// server process.
TEST(GdbRecorded, ServerOutlivesADetachAndStopsOnKill) {
  Files f;
  TcpServer server(NESTRR_BIN, quote(f.log) + " --elf " + quote(ASSERT_PROGRAM), f.dir);
  ASSERT_FALSE(server.port().empty());
  const std::string target = "target remote 127.0.0.1:" + server.port();
  std::string first = gdb_batch(ASSERT_PROGRAM, {target, "bt 1", "detach"});
  EXPECT_NE(first.find("find_current_vmcs12"), std::string::npos) << first;
  std::string second = gdb_batch(ASSERT_PROGRAM, {target, "bt 1", "kill"});
  EXPECT_NE(second.find("find_current_vmcs12"), std::string::npos) << second;
  EXPECT_TRUE(server.wait_for_stderr("killed by the client: stopping")) << server.stderr_text();
  EXPECT_NE(server.stderr_text().find("client gone; waiting for the next"), std::string::npos)
      << server.stderr_text();
  EXPECT_TRUE(server.wait_for_exit()) << "still running after kill";
}

// --once: the old behaviour, for scripts: the first client's detach ends it.
TEST(GdbRecorded, OnceStopsAfterTheFirstClient) {
  Files f;
  TcpServer server(NESTRR_BIN, quote(f.log) + " --elf " + quote(ASSERT_PROGRAM) + " --once", f.dir);
  ASSERT_FALSE(server.port().empty());
  std::string out = gdb_batch(ASSERT_PROGRAM, {"target remote 127.0.0.1:" + server.port(), "detach"});
  EXPECT_TRUE(server.wait_for_exit()) << out << server.stderr_text();
}

// ^C on the server (SIGINT), idle or with a client attached: it says so,
// closes the port and exits 130, as an interrupted command does. Spawned
// directly: a shell's `&` would start it with SIGINT ignored.
int spawn_server(const std::vector<std::string>& args, const std::string& err_file, pid_t& pid) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}

std::string wait_for_port(const std::string& err_file) {
  std::regex re(R"(listening on 127\.0\.0\.1:(\d+))");
  for (int i = 0; i < 400; ++i) {
    std::smatch m;
    std::string text = run("cat " + quote(err_file));
    if (std::regex_search(text, m, re)) return m[1];
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

// The exit status within `seconds`, or -1.
int wait_exit(pid_t pid, double seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 1000;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

TEST(GdbRecorded, SigintStopsTheServerCleanly) {
  Files f;
  const std::string err = (f.dir / "sigint.err").string();
  const std::vector<std::string> args = {NESTRR_BIN, "gdbserver", f.log, "--elf", ASSERT_PROGRAM,
                                         "--port", "0"};
  // Idle, waiting for its first client.
  pid_t pid = 0;
  ASSERT_EQ(spawn_server(args, err, pid), 0);
  ASSERT_FALSE(wait_for_port(err).empty()) << run("cat " + quote(err));
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid, 10), 130) << run("cat " + quote(err));
  EXPECT_NE(run("cat " + quote(err)).find("interrupted: no more clients; port closed"), std::string::npos)
      << run("cat " + quote(err));

  // With a client attached that sends nothing more.
  ASSERT_EQ(spawn_server(args, err, pid), 0);
  std::string port = wait_for_port(err);
  ASSERT_FALSE(port.empty()) << run("cat " + quote(err));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(port)));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid, 10), 130) << run("cat " + quote(err));
  EXPECT_NE(run("cat " + quote(err)).find("interrupted: client disconnected"), std::string::npos)
      << run("cat " + quote(err));
  char byte;
  EXPECT_EQ(::read(fd, &byte, 1), 0);  // the server closed its end
  ::close(fd);
}

// `nestrr debug`: one command to gdb on the log. Its nestrr-event moves
// in the history and refreshes gdb's registers (a bare `monitor event`
// leaves gdb's cache as it was); its command file is gone afterwards.
TEST(GdbRecorded, DebugCommandOpensGdbAndRefreshesAfterAJump) {
  Files f;
  const std::string tmp = (f.dir / "tmp").string();
  std::filesystem::create_directory(tmp);
  int status = -1;
  std::string out = run("TMPDIR=" + quote(tmp) + " timeout 120 " + quote(NESTRR_BIN) + " debug " +
                            quote(f.log) + " --elf " + quote(ASSERT_PROGRAM) +
                            " -- -nx -batch -ex 'p/x $pc' -ex 'nestrr-event 0' -ex 'p/x $pc'"
                            " -ex 'nestrr-when' </dev/null 2>&1",
                        &status);
  EXPECT_EQ(status, 0) << out;
  std::smatch m;
  // At the assertion cpu0 (thread 1) is at the failing pc; at event 0 it
  // had logged nothing yet: gdb must show that, not the cached pc.
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(\$1 = (0x[0-9a-f]+))"))) << out;
  EXPECT_NE(m[1], "0x0") << out;
  EXPECT_NE(out.find("$2 = 0x0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("now at event 0"), std::string::npos) << out;
  EXPECT_NE(out.find("event 0 of 2"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::is_empty(tmp)) << "command file left behind";
}

TEST(GdbRecorded, BadInputIsAClearError) {
  Files f;
  int status = 0;
  std::string out = run(quote(NESTRR_BIN) + " gdbserver /nonexistent.nrr --stdio", &status);
  EXPECT_EQ(status, 3) << out;
  out = run(quote(NESTRR_BIN) + " gdbserver " + quote(f.log) + " --event 99 --stdio </dev/null", &status);
  EXPECT_EQ(status, 3) << out;
  EXPECT_NE(out.find("no event 99: the log has 2 events"), std::string::npos) << out;
  out = run(quote(NESTRR_BIN) + " gdbserver " + quote(f.log), &status);
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("--port N or --stdio"), std::string::npos) << out;
}

}  // namespace
}  // namespace nestrr::gdbstub
