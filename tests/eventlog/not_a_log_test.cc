// Telling a log from anything else: empty, binary, text, only damage,
// frames that carry no nestrr packet. Each gets a reason naming where the
// reader looked and what it expected; a log with loss is still a log.
#include <gtest/gtest.h>

#include "nestrr/eventlog/not_a_log.h"
#include "test_util.h"

namespace nestrr::eventlog {
namespace {

using namespace testing;

std::string why(const std::string& bytes) { return why_not_a_log(read_string(bytes)); }

TEST(NotALog, Empty) {
  EXPECT_NE(why("").find("empty (0 bytes)"), std::string::npos) << why("");
  EXPECT_NE(why("").find("\"~N\""), std::string::npos);
}

TEST(NotALog, BinaryNamesItsFirstBytes) {
  std::string elf("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 16);
  elf += std::string(200, '\0') + "\nmore\n";
  const std::string w = why(elf);
  EXPECT_NE(w.find("no frame in its 222 bytes"), std::string::npos) << w;
  EXPECT_NE(w.find("byte 0 starts \"\\x7fELF\\x02"), std::string::npos) << w;
}

TEST(NotALog, TextFile) {
  const std::string w = why("hello\nworld\n");
  EXPECT_NE(w.find("no frame in its 12 bytes"), std::string::npos) << w;
  EXPECT_NE(w.find("byte 0 starts \"hello\""), std::string::npos) << w;
}

TEST(NotALog, OnlyDamagedFramesNamesTheFirst) {
  std::ostringstream out;
  StreamWriter(out).header(header(1));
  std::string bytes = "boot\n" + out.str();
  bytes[10] ^= 0x04;
  const std::string w = why(bytes);
  EXPECT_NE(w.find("no intact frame"), std::string::npos) << w;
  EXPECT_NE(w.find("at byte 5"), std::string::npos) << w;
}

TEST(NotALog, FramesWithoutPackets) {
  const std::string w = why(encode_frame(""));
  EXPECT_NE(w.find("none carrying a nestrr packet"), std::string::npos) << w;
}

TEST(NotALog, ALogWithLossIsALog) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.chunk(0, 0, 10, entries(3));
  std::string bytes = out.str();
  Log log = read_string(bytes.substr(0, bytes.size() - 10));
  EXPECT_EQ(why_not_a_log(log), "");
  EXPECT_NO_THROW(require_log(log, "x.nrr"));
  try {
    require_log(read_string("junk"), "junk.nrr");
    FAIL();
  } catch (const NotALog& e) {
    EXPECT_EQ(std::string(e.what()).rfind("junk.nrr: not a nestrr log: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace nestrr::eventlog
