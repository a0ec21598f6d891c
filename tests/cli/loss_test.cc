// Loss as the commands report it: a capture cut mid-frame by the relay is
// loss with its CPU and seq; CPUs the header declares that sent nothing
// are listed by info and check; every command warns on stderr when what it
// read is not whole.
#include <gtest/gtest.h>

#include <string>

#include "cli_fixture.h"

namespace {

using nestrr::test_cli::CliResult;

class Loss : public nestrr::test_cli::CliDir {};

TEST_F(Loss, RelayCutMidFrameIsCountedAndPlaced) {
  std::string bytes = log_bytes({exits(40), exits(40)}, 0, /*trailers=*/false);
  write("cut.nrr", bytes.substr(0, bytes.size() - 40));  // in cpu1's chunk
  CliResult r = sh("$NESTRR info cut.nrr");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("lost in transport: 0 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gap: cpu1 from #0 on (at least"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("frame cut at byte"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("cut.nrr: read with loss:"), std::string::npos) << r.err;
  EXPECT_EQ(sh("$NESTRR info --strict cut.nrr").code, 4);
}

TEST_F(Loss, SilentCpusAreListed) {
  write("silent.nrr", log_bytes({exits(3), {}, exits(2)}, 4));
  CliResult info = sh("$NESTRR info silent.nrr");
  EXPECT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("cpu3: no records (the header declares it)"), std::string::npos) << info.out;
  CliResult check = sh("$NESTRR check silent.nrr");
  EXPECT_NE(check.out.find("cpus the header declares that have no records: cpu1 cpu3"), std::string::npos)
      << check.out;
}

TEST_F(Loss, EveryReaderWarnsOnLoss) {
  std::string bytes = log_bytes({exits(5), exits(5)});
  bytes[bytes.size() / 2] ^= 0x01;
  write("flip.nrr", bytes);
  for (const char* cmd : {"info flip.nrr", "dump flip.nrr", "export flip.nrr --chrome-trace t.json", "check flip.nrr",
                          "report flip.nrr -o r.html --no-replay"}) {
    CliResult r = sh(std::string("$NESTRR ") + cmd);
    EXPECT_NE(r.err.find("flip.nrr: read with loss: 1 damaged frame"), std::string::npos) << cmd << ": " << r.err;
  }
}

}  // namespace
