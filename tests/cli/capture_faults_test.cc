// `nestrr capture` under faults: a file-size limit or a full disk stops it
// loudly (exit 1, the reason and the byte) with every byte before the
// failure in the file unchanged, a readable log; a relay that closes and
// reopens the connection is reconnected to with --reconnect.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "cli_fixture.h"

namespace {

using nestrr::test_cli::CliResult;

class CaptureFaults : public nestrr::test_cli::CliDir {};

TEST_F(CaptureFaults, FileSizeLimitStopsLoudlyKeepingWhatWasWritten) {
  std::vector<std::vector<nestrr::v1::Record>> cpus = {exits(6000), exits(6000)};
  const std::string bytes = log_bytes(cpus);
  ASSERT_GT(bytes.size(), 100000u);
  write("big.nrr", bytes);
  CliResult r = sh("prlimit --fsize=100000 $NESTRR capture -q --from big.nrr -o out.nrr");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("writing capture output 'out.nrr' at byte 100000: File too large"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("the 100000 bytes before it are in out.nrr"), std::string::npos) << r.err;
  const std::string kept = read("out.nrr");
  EXPECT_EQ(kept, bytes.substr(0, 100000));
  // What was written reads as a log whose last frame the failure cut.
  CliResult info = sh("$NESTRR info out.nrr");
  EXPECT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("cut: 1"), std::string::npos) << info.out;
}

TEST_F(CaptureFaults, FullDiskFailsLoudly) {
  write("a.nrr", log_bytes({exits(3), exits(3)}));
  CliResult r = sh("$NESTRR capture -q --from a.nrr -o /dev/full");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
}

TEST_F(CaptureFaults, ReconnectsToARelayThatClosed) {
  // Close-on-exec: the capture must not hold the relay's listener open.
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(lfd, 1), 0);
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string one = log_bytes({exits(5), exits(5)}, 0, false);
  // The second connection carries each CPU's records from #10 on, and the
  // trailers: #5 to #9 of each were lost while the relay was away.
  std::string two;
  nestrr::eventlog::StreamWriter w([&](std::string_view b) { two.append(b); });
  w.chunk(0, 10, 90000, exits(5));
  w.chunk(1, 10, 90000, exits(5));
  w.trailer(0, 15);
  w.trailer(1, 15);
  std::thread relay([&] {
    const std::string* parts[] = {&one, &two};
    for (const std::string* part : parts) {
      int fd = accept(lfd, nullptr, nullptr);
      if (fd < 0) break;
      // After the second connection the relay is gone for good: nothing
      // listens any more.
      if (part == &two) close(lfd);
      (void)!::write(fd, part->data(), part->size());
      close(fd);
    }
  });
  CliResult r = sh("$NESTRR capture -q --reconnect 1 --from tcp:127.0.0.1:" + std::to_string(ntohs(a.sin_port)) +
                   " -o tcp.nrr");
  relay.join();
  // The relay is gone after the second connection: the capture gives up
  // reconnecting after a second and ends.
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("nestrr capture: reconnected after"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 reconnects"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("10 lost in transport"), std::string::npos) << r.err;
  CliResult info = sh("$NESTRR info tcp.nrr");
  EXPECT_NE(info.out.find("capture reconnects: 1"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("gap: cpu0 #5 to #9 (5 records"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("gap: cpu1 #5 to #9 (5 records"), std::string::npos) << info.out;
}

}  // namespace
