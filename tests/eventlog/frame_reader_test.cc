// Frame reader: byte-exact round trips, text around frames, and damage that
// costs exactly the frame it hits.
#include "nestrr/eventlog/frame_reader.h"

#include <gtest/gtest.h>

#include <random>

#include "test_util.h"

namespace nestrr::eventlog {
namespace {

using testing::Collect;
using testing::encode_frame;

std::string random_bytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// The logger's frame CRC is the standard CRC-32 (zlib's, libdeflate's, the
// reader's): its check value, chaining, and every table entry derived from
// the polynomial.
TEST(FrameLayer, Crc32IsTheStandardOne) {
  EXPECT_EQ(nestrr_crc32(0, "123456789", 9), 0xCBF43926u);
  EXPECT_EQ(nestrr_crc32(0, "", 0), 0u);
  EXPECT_EQ(nestrr_crc32(nestrr_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    EXPECT_EQ(nestrr_crc32_table[i], c) << i;
  }
}

TEST(FrameReader, RoundTripIsByteExactForEveryLength) {
  std::mt19937_64 rng(1);
  std::string stream;
  std::vector<std::string> payloads;
  std::vector<uint64_t> offsets;
  for (size_t n : {0, 1, 2, 3, 4, 5, 6, 7, 100, 2045, 2046, 2047, 2048}) {
    payloads.push_back(random_bytes(rng, n));
    offsets.push_back(stream.size());
    stream += encode_frame(payloads.back());
  }
  Collect c;
  FrameReader reader(c);
  reader.feed(stream);
  reader.finish();
  ASSERT_EQ(c.frames.size(), payloads.size());
  EXPECT_TRUE(c.damage.empty());
  EXPECT_TRUE(c.texts.empty());
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(c.frames[i].payload, payloads[i]) << i;
    EXPECT_EQ(c.frames[i].offset, offsets[i]) << i;
  }
}

TEST(FrameReader, ByteByByteFeedingGivesTheSameResult) {
  std::string stream = "boot\n" + encode_frame("abc") + "x ~ y ~NAAAA\n" + encode_frame("defg") + "tail";
  Collect whole, bytes;
  FrameReader a(whole), b(bytes);
  a.feed(stream);
  a.finish();
  for (char ch : stream) b.feed(std::string_view(&ch, 1));
  b.finish();
  ASSERT_EQ(whole.frames.size(), 2u);
  ASSERT_EQ(bytes.frames.size(), 2u);
  ASSERT_EQ(whole.texts.size(), bytes.texts.size());
  for (size_t i = 0; i < whole.texts.size(); ++i) {
    EXPECT_EQ(whole.texts[i].text, bytes.texts[i].text);
    EXPECT_EQ(whole.texts[i].offset, bytes.texts[i].offset);
  }
  ASSERT_EQ(whole.damage.size(), 1u);
  ASSERT_EQ(bytes.damage.size(), 1u);
  EXPECT_EQ(whole.damage[0].offset, bytes.damage[0].offset);
}

TEST(FrameReader, TextBeforeAFrameOnTheSameLineIsText) {
  const std::string frame = encode_frame("payload");
  const std::string stream = "cpu0: hello ~ tilde " + frame + "next line\n";
  Collect c;
  FrameReader reader(c);
  reader.feed(stream);
  reader.finish();
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_EQ(c.frames[0].payload, "payload");
  EXPECT_EQ(c.frames[0].offset, 20u);
  EXPECT_EQ(c.frames[0].length, frame.size());
  ASSERT_EQ(c.texts.size(), 2u);
  EXPECT_EQ(c.texts[0].text, "cpu0: hello ~ tilde ");
  EXPECT_EQ(c.texts[0].offset, 0u);
  EXPECT_EQ(c.texts[1].text, "next line");
  EXPECT_EQ(c.texts[1].offset, 20u + frame.size());
  EXPECT_TRUE(c.damage.empty());
}

TEST(FrameReader, CrlfTranslationCostsNothing) {
  std::string stream;
  for (int i = 0; i < 5; ++i) {
    std::string f = encode_frame("frame " + std::to_string(i));
    f.insert(f.size() - 1, "\r");
    stream += f + "text " + std::to_string(i) + "\r\n";
  }
  Collect c;
  FrameReader reader(c);
  reader.feed(stream);
  reader.finish();
  EXPECT_EQ(c.frames.size(), 5u);
  EXPECT_TRUE(c.damage.empty());
  ASSERT_EQ(c.texts.size(), 5u);
  EXPECT_EQ(c.texts[4].text, "text 4");
}

// Three frames; every single-byte change inside the middle one costs that
// frame and only that frame.
class SingleByteDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 3; ++i) payloads.push_back(random_bytes(rng, 40 + i));
    a = encode_frame(payloads[0]);
    b = encode_frame(payloads[1]);
    c = encode_frame(payloads[2]);
  }
  void check(const std::string& stream, const std::string& what) {
    Collect got;
    FrameReader reader(got);
    reader.feed(stream);
    reader.finish();
    std::vector<std::string> seen;
    for (auto& f : got.frames) seen.push_back(f.payload);
    ASSERT_EQ(seen.size(), 2u) << what;
    EXPECT_EQ(seen[0], payloads[0]) << what;
    EXPECT_EQ(seen[1], payloads[2]) << what;
    for (auto& d : got.damage) {
      EXPECT_GE(d.offset, a.size()) << what;
      EXPECT_LE(d.offset + d.length, a.size() + b.size() + 1) << what;
    }
  }
  std::vector<std::string> payloads;
  std::string a, b, c;
};

TEST_F(SingleByteDamage, FlippedBitInsideAFrameCostsThatFrame) {
  // Every base64 character of the middle frame, every bit.
  for (size_t pos = 2; pos + 1 < b.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string hit = b;
      hit[pos] = static_cast<char>(hit[pos] ^ (1 << bit));
      check(a + hit + c, "pos " + std::to_string(pos) + " bit " + std::to_string(bit));
    }
  }
}

TEST_F(SingleByteDamage, DroppedByteInsideAFrameCostsThatFrame) {
  for (size_t pos = 2; pos + 1 < b.size(); ++pos) {
    std::string hit = b;
    hit.erase(pos, 1);
    check(a + hit + c, "dropped pos " + std::to_string(pos));
  }
}

// A hit on the "~N" mark leaves a whole base64 run behind: the reader
// recognizes it by its CRC and keeps the frame.
TEST_F(SingleByteDamage, DamagedMarkIsRepaired) {
  const std::string run = b.substr(2);
  for (const std::string& hit : {run, "N" + run, "~" + run, "xN" + run, "\x7eM" + run}) {
    Collect got;
    FrameReader reader(got);
    reader.feed(a + hit + c);
    reader.finish();
    const bool repairable = hit != run && hit.rfind("~M", 0) != 0;
    ASSERT_EQ(got.frames.size(), repairable ? 3u : 2u) << hit.substr(0, 3);
    if (repairable) {
      EXPECT_EQ(got.frames[1].payload, payloads[1]);
      EXPECT_EQ(got.frames[1].offset, a.size());
      EXPECT_EQ(got.frames[1].length, hit.size());
    }
  }
  // Console text that merely starts with N is still text.
  Collect got;
  FrameReader reader(got);
  reader.feed(a + "NMI received on cpu 1\n" + "Nb3RhbGx5IGJhc2U2NAo\n" + c);
  reader.finish();
  EXPECT_EQ(got.frames.size(), 2u);
  ASSERT_EQ(got.texts.size(), 2u);
  EXPECT_EQ(got.texts[1].text, "Nb3RhbGx5IGJhc2U2NAo");
}

// A hit on a frame's final '\n' may cost that frame, never the next one:
// its '~' starts a frame whatever the damaged run before it became (the
// newline flipped into a base64 character made the run invalid, and the
// reader used to skip the rest of the line, the next frame with it).
TEST_F(SingleByteDamage, AHitNewlineNeverCostsTheNextFrame) {
  ASSERT_EQ(b.back(), '\n');
  std::vector<std::string> hits;
  for (int bit = 0; bit < 8; ++bit) {
    std::string hit = b;
    hit.back() = static_cast<char>('\n' ^ (1 << bit));
    hits.push_back(hit);
  }
  hits.push_back(b.substr(0, b.size() - 1));  // dropped
  for (const std::string& hit : hits) {
    const std::string what = hit.back() == b[b.size() - 2]
                                 ? std::string("newline dropped")
                                 : "newline became byte " + std::to_string(static_cast<unsigned char>(hit.back()));
    Collect got;
    FrameReader reader(got);
    reader.feed(a + hit + c);
    reader.finish();
    std::vector<std::string> seen;
    for (auto& f : got.frames) seen.push_back(f.payload);
    ASSERT_GE(seen.size(), 2u) << what;
    EXPECT_EQ(seen.front(), payloads[0]) << what;
    EXPECT_EQ(seen.back(), payloads[2]) << what;
    if (seen.size() == 3) EXPECT_EQ(seen[1], payloads[1]) << what;
    if (seen.size() == 2) EXPECT_FALSE(got.damage.empty()) << what << ": a lost frame is reported";
  }
}

TEST_F(SingleByteDamage, DamageIsReportedWhenTheRunIsBroken) {
  std::string hit = b;
  hit[10] = '#';
  Collect got;
  FrameReader reader(got);
  reader.feed(a + hit + c);
  reader.finish();
  ASSERT_EQ(got.damage.size(), 1u);
  EXPECT_EQ(got.damage[0].kind, DamageKind::kBadByte);
  EXPECT_EQ(got.damage[0].offset, a.size());
  EXPECT_EQ(got.damage[0].length, b.size());
  EXPECT_TRUE(got.texts.empty());  // the rest of the broken line is damage, not text
}

TEST(FrameReader, CrcMismatchIsReportedWithOffset) {
  std::string f = encode_frame("hello world");
  f[5] = f[5] == 'A' ? 'B' : 'A';
  Collect c;
  FrameReader reader(c);
  reader.feed("xx\n" + f);
  reader.finish();
  ASSERT_EQ(c.damage.size(), 1u);
  EXPECT_EQ(c.damage[0].kind, DamageKind::kCrcMismatch);
  EXPECT_EQ(c.damage[0].offset, 3u);
  EXPECT_EQ(c.damage[0].length, f.size());
  EXPECT_NE(describe(c.damage[0]).find("at byte 3"), std::string::npos);
}

TEST(FrameReader, ImpossibleLengthsAreDamage) {
  for (std::string bad : {"~N\n", "~NA\n", "~NAAAAA\n", "~NAAA\n"}) {
    Collect c;
    FrameReader reader(c);
    reader.feed(bad);
    reader.finish();
    ASSERT_EQ(c.damage.size(), 1u) << bad;
    EXPECT_EQ(c.damage[0].kind, DamageKind::kBadLength) << bad;
    EXPECT_TRUE(c.frames.empty());
  }
}

TEST(FrameReader, OversizedFrameResyncsAtTheNextFrame) {
  const std::string huge = "~N" + std::string(5000, 'A') + "\n";
  const std::string good = encode_frame("after");
  Collect c;
  FrameReader reader(c);
  reader.feed(huge + "console\n" + good);
  reader.finish();
  ASSERT_EQ(c.damage.size(), 1u);
  EXPECT_EQ(c.damage[0].kind, DamageKind::kTooLong);
  EXPECT_EQ(c.damage[0].offset, 0u);
  EXPECT_EQ(c.damage[0].length, huge.size());
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_EQ(c.frames[0].payload, "after");
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(c.texts[0].text, "console");
}

TEST(FrameReader, TruncatedStreamReportsTheCutFrame) {
  const std::string a = encode_frame("first frame");
  const std::string b = encode_frame("second frame, cut");
  for (size_t keep = 1; keep < b.size(); ++keep) {
    Collect c;
    FrameReader reader(c);
    reader.feed(a + b.substr(0, keep));
    reader.finish();
    ASSERT_GE(c.frames.size(), 1u);
    EXPECT_EQ(c.frames[0].payload, "first frame");
    if (keep == b.size() - 1) {
      // Only the '\n' is missing: the frame is whole.
      ASSERT_EQ(c.frames.size(), 2u);
      EXPECT_TRUE(c.damage.empty());
    } else if (keep == 1) {
      // A lone '~' at the end is text.
      ASSERT_EQ(c.texts.size(), 1u);
      EXPECT_EQ(c.texts[0].text, "~");
    } else {
      ASSERT_EQ(c.damage.size(), 1u) << keep;
      EXPECT_EQ(c.damage[0].kind, DamageKind::kCut);
      EXPECT_EQ(c.damage[0].offset, a.size());
      EXPECT_EQ(c.damage[0].length, keep);
    }
  }
}

TEST(FrameReader, LongTextLinesArriveInPiecesWithNothingDropped) {
  const std::string line(3 * FrameReader::kMaxTextLine + 5, 'x');
  Collect c;
  FrameReader reader(c);
  reader.feed(line + "\n");
  reader.finish();
  size_t total = 0;
  for (auto& t : c.texts) {
    EXPECT_LE(t.text.size(), FrameReader::kMaxTextLine);
    EXPECT_EQ(t.offset, total);
    total += t.text.size();
  }
  EXPECT_EQ(total, line.size());
  EXPECT_TRUE(c.texts.back().complete);
  EXPECT_FALSE(c.texts.front().complete);
}

TEST(FrameReader, RandomGarbageNeverCrashesAndIsAllAccountedFor) {
  std::mt19937_64 rng(3);
  std::string garbage;
  for (int i = 0; i < 200000; ++i) {
    const auto r = rng() % 10;
    garbage.push_back(r == 0 ? '~' : r == 1 ? 'N' : r == 2 ? '\n' : static_cast<char>(rng()));
  }
  Log log = testing::read_string(garbage);
  EXPECT_EQ(log.stats.bytes, garbage.size());
  EXPECT_EQ(log.stats.frame_bytes + log.stats.damaged_bytes + log.stats.text_bytes,
            garbage.size());
  EXPECT_GT(log.stats.frames_damaged_total(), 0u);
}

}  // namespace
}  // namespace nestrr::eventlog
