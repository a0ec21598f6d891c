// Capture: from a file, from a real loopback TCP server with the stop flag,
// and a capture killed midway still leaves a readable log.
#include "nestrr/eventlog/capture.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <atomic>
#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "test_util.h"

namespace nestrr::eventlog {
namespace {

using namespace testing;

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/" + name + "_" + std::to_string(getpid());
}

std::string stream_of(int chunks) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(2));
  for (int i = 0; i < chunks; ++i) {
    w.text("console line " + std::to_string(i));
    w.chunk(i % 2, (i / 2) * 5, 1000 * i, entries(5));
  }
  return out.str();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Capture, FromAFileCopiesEveryByteAndDecodes) {
  const std::string in = temp_path("in.nrr"), out = temp_path("out.nrr");
  const std::string bytes = stream_of(20);
  std::ofstream(in, std::ios::binary) << bytes;
  auto source = open_source(in);
  int progress_calls = 0;
  CaptureOptions options;
  options.progress = [&](const CaptureProgress& p) {
    ++progress_calls;
    EXPECT_LE(p.bytes, bytes.size());
  };
  CaptureResult r = capture(*source, out, options);
  EXPECT_EQ(r.end, CaptureResult::End::kEof);
  EXPECT_EQ(r.bytes, bytes.size());
  EXPECT_EQ(slurp(out), bytes);
  EXPECT_EQ(r.log.stats.records, 100u);
  EXPECT_GE(progress_calls, 1);
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST(Capture, ByteLimitStopsExactly) {
  const std::string in = temp_path("lim.nrr"), out = temp_path("limout.nrr");
  std::ofstream(in, std::ios::binary) << stream_of(20);
  auto source = open_source(in);
  CaptureOptions options;
  options.max_bytes = 100;
  CaptureResult r = capture(*source, out, options);
  EXPECT_EQ(r.end, CaptureResult::End::kByteLimit);
  EXPECT_EQ(r.bytes, 100u);
  EXPECT_EQ(slurp(out).size(), 100u);
  std::remove(in.c_str());
  std::remove(out.c_str());
}

// A pseudo-terminal is a real tty: the source puts it in raw mode at the
// given baud, so the capture is byte-exact (no CR/LF translation, no echo).
TEST(Capture, FromATtyInRawModeIsByteExact) {
  int master = -1, slave = -1;
  char name[128];
  ASSERT_EQ(openpty(&master, &slave, name, nullptr, nullptr), 0);
  auto source = open_source(std::string("tty:") + name + "@115200");
  ::close(slave);
  const std::string bytes = stream_of(40) + "last line\r\nwith CR\n";
  std::thread writer([&] {
    for (size_t off = 0; off < bytes.size();) {
      ssize_t w = ::write(master, bytes.data() + off, std::min<size_t>(256, bytes.size() - off));
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
  });
  const std::string out = temp_path("tty.nrr");
  CaptureOptions options;
  options.max_bytes = bytes.size();
  options.timeout = std::chrono::seconds(20);
  CaptureResult r = capture(*source, out, options);
  writer.join();
  ::close(master);
  EXPECT_EQ(r.end, CaptureResult::End::kByteLimit);
  EXPECT_EQ(slurp(out), bytes);
  EXPECT_EQ(r.log.stats.records, 200u);
  EXPECT_EQ(r.log.stats.frames_damaged_total(), 0u);
  std::remove(out.c_str());
}

TEST(Capture, BadSpecsGiveClearErrors) {
  auto message = [](const std::string& spec) {
    try {
      open_source(spec);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("/no/such/file.nrr").find("No such file"), std::string::npos);
  EXPECT_NE(message("tcp:localhost").find("expected tcp:HOST:PORT"), std::string::npos);
  EXPECT_NE(message("tty:/dev/null@12345").find("unsupported baud rate 12345"), std::string::npos);
  EXPECT_NE(message("tty:/dev/null@fast").find("not a number"), std::string::npos);
  EXPECT_NE(message("tty:/dev/null@115200").find("not a terminal"), std::string::npos);
  // A port nobody listens on: bind one, learn it, close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  const std::string refused = message("tcp:127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  EXPECT_NE(refused.find("connect: Connection refused"), std::string::npos) << refused;
}

TEST(Capture, FromALoopbackTcpServerUntilStopped) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string bytes = stream_of(40);
  std::atomic<bool> sent{false};
  std::atomic<bool> release{false};
  std::thread server([&] {
    const int c = ::accept(listener, nullptr, nullptr);
    for (size_t i = 0; i < bytes.size(); i += 97) {
      const size_t n = std::min<size_t>(97, bytes.size() - i);
      ASSERT_EQ(::send(c, bytes.data() + i, n, MSG_NOSIGNAL), static_cast<ssize_t>(n));
    }
    sent = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ::close(c);
  });
  auto source = open_source("tcp:127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  const std::string out = temp_path("tcp.nrr");
  std::atomic<bool> stop{false};
  CaptureOptions options;
  options.stop = &stop;
  options.progress_interval = std::chrono::milliseconds(0);
  options.progress = [&](const CaptureProgress& p) {
    // The connection stays open: only the stop flag can end this capture.
    if (sent && p.bytes == bytes.size()) stop = true;
  };
  CaptureResult r = capture(*source, out, options);
  release = true;
  server.join();
  ::close(listener);
  EXPECT_EQ(r.end, CaptureResult::End::kStopped);
  EXPECT_EQ(slurp(out), bytes);
  EXPECT_EQ(r.log.stats.records, 200u);
  EXPECT_EQ(r.log.stats.frames_damaged_total(), 0u);
  std::remove(out.c_str());
}

TEST(Capture, KilledCaptureLeavesAReadableLog) {
  const std::string bytes = stream_of(30);
  // Cut in the middle of the last chunk frame.
  const size_t cut = bytes.size() - 20;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string out = temp_path("killed.nrr");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[1]);
    auto source = open_source("/dev/fd/" + std::to_string(fds[0]));
    capture(*source, out);
    ::_exit(0);
  }
  ::close(fds[0]);
  ASSERT_EQ(::write(fds[1], bytes.data(), cut), static_cast<ssize_t>(cut));
  // Wait until the child has written everything it got, then kill it hard.
  struct stat st {};
  for (int i = 0; i < 500; ++i) {
    if (::stat(out.c_str(), &st) == 0 && static_cast<size_t>(st.st_size) == cut) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[1]);
  EXPECT_TRUE(WIFSIGNALED(status));
  Log log = read_log_file(out);
  EXPECT_EQ(log.stats.bytes, cut);
  ASSERT_EQ(log.damage.size(), 1u);
  EXPECT_EQ(log.damage[0].kind, DamageKind::kCut);
  EXPECT_EQ(log.stats.records, 29u * 5u);
  // The cut frame was cpu1's chunk from seq 70: its loss is counted there.
  ASSERT_EQ(log.gaps.size(), 1u);
  EXPECT_EQ(log.gaps[0].cpu, 1u);
  EXPECT_EQ(log.gaps[0].from, 70u);
  EXPECT_TRUE(log.gaps[0].open);
  EXPECT_GE(log.stats.records_lost_transport, 1u);
  std::remove(out.c_str());
}

// A serial-over-LAN relay that closes the connection mid-frame and listens
// again: the capture reconnects, marks the break in the log, and what the
// relay lost meanwhile is counted exactly as seq gaps.
TEST(Capture, ReconnectsWhenTheRelayClosesAndCountsTheGap) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  // Chunks alternate cpu0 and cpu1, five records each. The first
  // connection ends in the middle of chunk 10's frame (cpu0 #25); the
  // second starts at chunk 14 (cpu0 #35): chunks 10 to 13 are lost.
  std::ostringstream full;
  StreamWriter w(full);
  w.header(header(2));
  std::vector<uint64_t> starts;
  for (int i = 0; i < 20; ++i) {
    starts.push_back(w.bytes_written());
    w.text("console line " + std::to_string(i));
    w.chunk(i % 2, (i / 2) * 5, 1000 * i, entries(5));
  }
  const std::string bytes = full.str();
  const std::string first = bytes.substr(0, starts[11] - 10);
  const std::string second = bytes.substr(starts[14]);
  std::atomic<bool> sent{false}, release{false};
  std::thread relay([&] {
    int c = ::accept(listener, nullptr, nullptr);
    ASSERT_EQ(::send(c, first.data(), first.size(), MSG_NOSIGNAL), static_cast<ssize_t>(first.size()));
    ::close(c);
    c = ::accept(listener, nullptr, nullptr);
    ASSERT_EQ(::send(c, second.data(), second.size(), MSG_NOSIGNAL), static_cast<ssize_t>(second.size()));
    sent = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ::close(c);
  });
  auto source = open_source("tcp:127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  const std::string out = temp_path("reconnect.nrr");
  std::atomic<bool> stop{false};
  CaptureOptions options;
  options.stop = &stop;
  options.reconnect = std::chrono::seconds(20);
  options.reconnect_interval = std::chrono::milliseconds(20);
  std::vector<std::string> notices;
  options.progress_interval = std::chrono::milliseconds(0);
  uint64_t marks = 0;
  options.progress = [&](const CaptureProgress& p) {
    if (sent && p.bytes >= first.size() + second.size() + marks) stop = true;
  };
  // The mark's length is known once it is written; the progress check
  // above allows for it through `marks`, set from the notice.
  options.notice = [&](const std::string& n) {
    notices.push_back(n);
    marks = n.size() + 2;
  };
  CaptureResult r = capture(*source, out, options);
  release = true;
  relay.join();
  ::close(listener);
  EXPECT_EQ(r.end, CaptureResult::End::kStopped);
  EXPECT_EQ(r.reconnects, 1u);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("nestrr capture: reconnected after"), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find("connection lost at byte " + std::to_string(first.size())), std::string::npos)
      << notices[0];
  // The file: what came, the mark on a line of its own, what came next.
  const std::string file = slurp(out);
  EXPECT_EQ(file, first + "\n" + notices[0] + "\n" + second);
  Log log = read_log_file(out);
  EXPECT_EQ(log.stats.capture_reconnects, 1u);
  EXPECT_EQ(log.damage.size(), 1u);  // chunk 10, cut by the break
  EXPECT_EQ(log.stats.records_lost_transport, 20u);
  ASSERT_EQ(log.gaps.size(), 2u);
  for (uint32_t cpu = 0; cpu < 2; ++cpu) {
    EXPECT_EQ(log.gaps[cpu].cpu, cpu);
    EXPECT_EQ(log.gaps[cpu].from, 25u);
    EXPECT_EQ(log.gaps[cpu].to, 35u);
  }
  std::remove(out.c_str());
}

// Output that cannot take more bytes (a full disk) ends the capture with
// the reason and the byte it failed at; what was written stays as it came.
TEST(Capture, FullDiskStopsWithTheReason) {
  const std::string in = temp_path("full-in.nrr");
  std::ofstream(in, std::ios::binary) << stream_of(4);
  auto source = open_source(in);
  CaptureResult r = capture(*source, "/dev/full");
  EXPECT_EQ(r.end, CaptureResult::End::kWriteFailed);
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_NE(r.error.find("'/dev/full' at byte 0: No space left on device"), std::string::npos) << r.error;
  std::remove(in.c_str());
}

}  // namespace
}  // namespace nestrr::eventlog
