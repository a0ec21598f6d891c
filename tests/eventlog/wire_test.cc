// The hand-written wire reader (eventlog/src/wire.h) against libprotobuf's
// varint encoding: every length from 1 to 10 bytes, at the end of its span
// and followed by more bytes (the reader's two paths), truncated ones
// refused.
#include <gtest/gtest.h>
#include <google/protobuf/io/coded_stream.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "wire.h"

namespace nestrr::eventlog::wire {
namespace {

std::string encoded(uint64_t v) {
  std::string out(10, '\0');
  auto* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(
      v, reinterpret_cast<uint8_t*>(out.data()));
  out.resize(static_cast<size_t>(end - reinterpret_cast<uint8_t*>(out.data())));
  return out;
}

// Decodes `v` followed by `tail`, expecting exactly its bytes consumed.
void expect_round_trip(uint64_t v, const std::string& tail) {
  const std::string bytes = encoded(v);
  const std::string span = bytes + tail;
  Wire w(span);
  uint64_t got = ~v;
  ASSERT_TRUE(w.varint(&got)) << v << " with " << tail.size() << " bytes after";
  EXPECT_EQ(got, v) << "with " << tail.size() << " bytes after";
  EXPECT_EQ(static_cast<size_t>(w.end - w.p), tail.size()) << v;
}

std::vector<uint64_t> every_length() {
  std::vector<uint64_t> values{0, 1, ~uint64_t{0}, uint64_t{1} << 63};
  for (int bits = 7; bits < 64; bits += 7) {
    values.push_back((uint64_t{1} << bits) - 1);  // the longest of one length
    values.push_back(uint64_t{1} << bits);        // the shortest of the next
  }
  return values;
}

TEST(Wire, VarintOfEveryLengthAtTheEndOfItsSpanAndBeforeMoreBytes) {
  for (uint64_t v : every_length())
    for (const std::string& tail : {std::string(), std::string(1, '\x80'), std::string(9, '\xff'),
                                    std::string(12, '\0')})
      expect_round_trip(v, tail);
}

TEST(Wire, RandomVarintsInARowDecodeToTheSameValues) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> values;
  std::string span;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);  // every length, often
    values.push_back(v);
    span += encoded(v);
  }
  Wire w(span);
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(w.varint(&got));
    ASSERT_EQ(got, v);
  }
  EXPECT_TRUE(w.done());
}

TEST(Wire, TruncatedOrOverlongVarintIsRefused) {
  for (uint64_t v : every_length()) {
    const std::string bytes = encoded(v);
    if (bytes.size() < 2) continue;
    const std::string cut = bytes.substr(0, bytes.size() - 1);
    Wire w(cut);
    uint64_t got;
    EXPECT_FALSE(w.varint(&got)) << v;
  }
  const std::string overlong(11, '\x80');
  Wire w(overlong);
  uint64_t got;
  EXPECT_FALSE(w.varint(&got));
}

}  // namespace
}  // namespace nestrr::eventlog::wire
