// Every command that reads a log, on what is not one: an empty file, a
// binary, a text file, a file whose every frame is damaged, and stdin.
// Each must exit 3 with one message naming the file, what the reader found
// (a byte offset, or the size) and what a log looks like; never 0, never a
// crash. A header claiming 2^32-1 CPUs ends nothing with bad_alloc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_fixture.h"

namespace {

using nestrr::test_cli::CliResult;

class BadInput : public nestrr::test_cli::CliDir {
 protected:
  // The inputs, by file name.
  void make_inputs() {
    write("empty.nrr", "");
    write("text.nrr", "XMHF: booting\nno frames here\n");
    std::string elf = read_binary(NESTRR_BIN).substr(0, 4096);
    write("binary.nrr", elf);
    std::string damaged = log_bytes({exits(3), exits(3)});
    // Flip a bit in every frame's first base64 character.
    for (size_t i = 0; (i = damaged.find("~N", i)) != std::string::npos; i += 2) damaged[i + 3] ^= 0x01;
    write("damaged.nrr", damaged);
  }
  static std::string read_binary(const char* path) { return nestrr::test_cli::slurp(path); }

  // Each command that reads a log, with LOG where the file goes.
  static std::vector<std::string> commands() {
    return {"info LOG",
            "info --strict LOG",
            "dump LOG",
            "dump --json LOG",
            "dump --console LOG",
            "dump --raw-packet 0 LOG",
            "export LOG --chrome-trace t.json",
            "check LOG",
            "replay LOG",
            "replay --goto 1 LOG",
            "stack LOG --elf $NESTRR",
            "listing LOG --elf $NESTRR",
            "core LOG --elf $NESTRR -o core.elf",
            "report LOG -o r.html",
            "symbolize --log LOG --elf $NESTRR 0x1000",
            "gdbserver LOG --stdio < /dev/null"};
  }
  static std::string with(std::string cmd, const std::string& log) {
    cmd.replace(cmd.find("LOG"), 3, log);
    return "$NESTRR " + cmd;
  }
};

TEST_F(BadInput, EveryCommandRefusesWhatIsNotALog) {
  make_inputs();
  struct Want {
    const char* file;
    const char* says;  // what the message must contain besides the name
  };
  const Want inputs[] = {{"empty.nrr", "empty (0 bytes)"},
                         {"text.nrr", "byte 0 starts \"XMHF: booting\""},
                         {"binary.nrr", "byte 0 starts \"\\x7fELF"},
                         {"damaged.nrr", "no intact frame"}};
  for (const auto& cmd : commands()) {
    for (const auto& in : inputs) {
      const std::string line = with(cmd, in.file);
      SCOPED_TRACE(line);
      CliResult r = sh(line);
      EXPECT_EQ(r.code, 3) << r.err;
      EXPECT_NE(r.err.find(in.file), std::string::npos) << r.err;
      if (cmd.rfind("dump --raw-packet", 0) == 0) {
        // Reads frames only: says it found no intact one.
        EXPECT_NE(r.err.find("no intact frame"), std::string::npos) << r.err;
        continue;
      }
      EXPECT_NE(r.err.find("not a nestrr log"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(in.says), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("expected"), std::string::npos) << r.err;
      EXPECT_EQ(r.err.find("bad_alloc"), std::string::npos) << r.err;
    }
  }
}

// The same from stdin, named as such.
TEST_F(BadInput, StdinIsNamed) {
  make_inputs();
  for (const char* cmd : {"info -", "dump -", "check -", "replay -", "export - --chrome-trace t.json"}) {
    CliResult r = sh(std::string("$NESTRR ") + cmd + " < binary.nrr");
    EXPECT_EQ(r.code, 3) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("stdin: not a nestrr log"), std::string::npos) << cmd << ": " << r.err;
  }
}

TEST_F(BadInput, MissingFileAndDirectory) {
  for (const auto& cmd : commands()) {
    if (cmd.find("stack") == 0 || cmd.find("listing") == 0 || cmd.find("core") == 0) continue;
    CliResult r = sh(with(cmd, "no-such.nrr"));
    EXPECT_EQ(r.code, 3) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("no-such.nrr"), std::string::npos) << cmd << ": " << r.err;
  }
  CliResult r = sh("$NESTRR info .");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("directory"), std::string::npos) << r.err;
}

// The case: a header that claims 4294967295 CPUs made core and
// gdbserver end with std::bad_alloc. Now the header is refused as a bad
// packet saying what it claimed, and the rest of the log is served.
TEST_F(BadInput, HeaderClaimingFourBillionCpus) {
  std::string bytes;
  nestrr::eventlog::StreamWriter w([&](std::string_view b) { bytes.append(b); });
  nestrr::v1::Header h;
  h.set_format_version(3);
  h.set_cpu_count(0xffffffffu);
  w.header(h);
  std::vector<nestrr::v1::Record> recs(2);
  recs[0].mutable_vm_exit()->set_reason(10);
  auto* a = recs[1].mutable_assertion_failure();
  a->set_condition("x");
  a->set_rip(0x401000);
  a->mutable_registers()->set_rip(0x401000);
  a->mutable_registers()->set_rsp(0x7000);
  w.chunk(1, 0, 100, recs);
  write("huge.nrr", bytes);
  for (const char* cmd : {"$NESTRR info huge.nrr", "$NESTRR core huge.nrr --elf $NESTRR -o core.elf",
                          "$NESTRR gdbserver huge.nrr --stdio < /dev/null", "$NESTRR check huge.nrr",
                          "$NESTRR report huge.nrr -o r.html --no-replay"}) {
    CliResult r = sh(cmd);
    SCOPED_TRACE(cmd);
    EXPECT_EQ(r.err.find("bad_alloc"), std::string::npos) << r.err;
    EXPECT_GE(r.code, 0) << "killed by a signal";
    EXPECT_NE(r.code, 1) << r.err;  // not "failed": read, with the header refused
    EXPECT_NE(r.err.find("header declares 4294967295 CPUs; at most 4096 are supported"), std::string::npos)
        << r.err;
  }
  EXPECT_EQ(sh("$NESTRR info --strict huge.nrr").code, 4);
}

}  // namespace
