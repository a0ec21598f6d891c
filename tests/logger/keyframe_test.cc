// Flight-recorder key frames: what nestrr_logger_keyframe_take copies is
// what a dump writes and what the host's reader (eventlog, the real
// LogBuilder over real libprotobuf) assembles; the store keeps the last two
// published; a take that is never published is never written; a key frame
// with a piece missing is kept but marked unusable.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "frames.h"
#include "nestrr/eventlog/log.h"

namespace {

struct KeyFrames {
  nestrr_test::Sink sink;
  nestrr_test::Memory mem;
  std::vector<uint64_t> store;
  nestrr_logger lg{};
  KeyFrames(uint32_t cpus, uint32_t ring, size_t store_bytes) : mem(cpus, ring), store(store_bytes / 8) {
    nestrr_config cfg{};
    cfg.cpu_count = cpus;
    cfg.ring_bytes = ring;
    cfg.mode = NESTRR_MODE_FLIGHT;
    cfg.memory = mem.data();
    cfg.memory_bytes = mem.size();
    cfg.write = nestrr_test::Sink::write;
    cfg.write_ctx = &sink;
    cfg.keyframe_memory = store.data();
    cfg.keyframe_bytes = store_bytes;
    EXPECT_TRUE(nestrr_logger_init(&lg, &cfg));
  }
  void log(uint32_t cpu, int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(nestrr_log_vm_exit(&lg, cpu, 10, i, 0x1000 + i, false));
  }
  nestrr::eventlog::Log dump() {
    sink.bytes.clear();
    nestrr_logger_dump(&lg);
    std::istringstream in(sink.bytes);
    return nestrr::eventlog::read_log(in);
  }
};

// A "core" of 3000 patterned bytes and a sparse "phys" of 16 KiB with two
// non-zero 1 KiB pieces.
struct State {
  std::vector<uint8_t> core = std::vector<uint8_t>(3000), phys = std::vector<uint8_t>(16384, 0);
  explicit State(uint8_t salt) {
    for (size_t i = 0; i < core.size(); ++i) core[i] = static_cast<uint8_t>(i * 7 + salt);
    phys[5] = salt;
    phys[9 * 1024 + 1000] = 0xee;
  }
  bool take(nestrr_logger* lg) const {
    nestrr_region r[2] = {{"core", core.data(), core.size(), 0, 0},
                          {"phys", phys.data(), phys.size(), 1, 0}};
    return nestrr_logger_keyframe_take(lg, r, 2);
  }
};

TEST(LoggerKeyFrame, DumpCarriesWhatWasTakenAndTheReaderRebuildsIt) {
  KeyFrames k(2, 1u << 16, 1u << 16);
  k.log(0, 100);
  k.log(1, 50);
  EXPECT_EQ(nestrr_logger_since_keyframe(&k.lg, 0), 100u);
  State s(3);
  ASSERT_TRUE(s.take(&k.lg));
  EXPECT_EQ(nestrr_logger_since_keyframe(&k.lg, 0), 100u) << "a take is invisible until published";
  nestrr_logger_keyframe_publish(&k.lg);
  EXPECT_EQ(nestrr_logger_since_keyframe(&k.lg, 0), 0u);
  k.log(0, 10);
  EXPECT_EQ(nestrr_logger_since_keyframe(&k.lg, 0), 10u);
  EXPECT_EQ(nestrr_logger_since_keyframe(&k.lg, 1), 0u);

  auto log = k.dump();
  EXPECT_TRUE(log.damage.empty());
  EXPECT_TRUE(log.stats.warnings.empty()) << log.stats.warnings.front().message;
  ASSERT_EQ(log.key_frames.size(), 1u);
  const auto& f = log.key_frames[0];
  EXPECT_TRUE(f.complete()) << f.problem;
  EXPECT_EQ(f.id, 1u);
  EXPECT_EQ(f.next_seq, (std::vector<uint64_t>{100, 50}));
  ASSERT_NE(f.region("core"), nullptr);
  ASSERT_NE(f.region("phys"), nullptr);
  EXPECT_EQ(f.region("core")->flatten(), s.core);
  EXPECT_FALSE(f.region("core")->sparse);
  EXPECT_TRUE(f.region("phys")->sparse);
  EXPECT_EQ(f.region("phys")->pieces.size(), 2u) << "all-zero pieces of a sparse region are left out";
  EXPECT_EQ(f.region("phys")->flatten(), s.phys);
  // 3 core pieces + 2 phys pieces + piece 0.
  EXPECT_EQ(f.pieces, 6u);
  EXPECT_EQ(log.stats.key_frame_pieces, 6u);
  // The records are still all there, the key frame beside them.
  EXPECT_EQ(log.find_cpu(0)->events.size(), 110u);
}

TEST(LoggerKeyFrame, StoreKeepsTheLastTwoPublished) {
  KeyFrames k(1, 1u << 16, 1u << 16);
  State a(1), b(2), c(3);
  k.log(0, 5);
  ASSERT_TRUE(a.take(&k.lg));
  nestrr_logger_keyframe_publish(&k.lg);
  k.log(0, 5);
  ASSERT_TRUE(b.take(&k.lg));
  nestrr_logger_keyframe_publish(&k.lg);
  k.log(0, 5);
  ASSERT_TRUE(c.take(&k.lg));  // overwrites a's half; not published yet
  auto log = k.dump();
  ASSERT_EQ(log.key_frames.size(), 1u) << "an unpublished take is never written";
  EXPECT_EQ(log.key_frames[0].id, 2u);
  EXPECT_EQ(log.key_frames[0].region("core")->flatten(), b.core);
  nestrr_logger_keyframe_publish(&k.lg);
  log = k.dump();
  ASSERT_EQ(log.key_frames.size(), 2u);
  EXPECT_EQ(log.key_frames[0].id, 2u);
  EXPECT_EQ(log.key_frames[1].id, 3u);
  EXPECT_EQ(log.key_frames[1].next_seq, (std::vector<uint64_t>{15}));
  EXPECT_EQ(log.key_frames[1].region("core")->flatten(), c.core);
}

TEST(LoggerKeyFrame, TooLargeOrNoStoreIsRefused) {
  KeyFrames k(1, 1u << 16, 4096);  // halves of 2 KiB: 3000 bytes do not fit
  State s(1);
  EXPECT_FALSE(s.take(&k.lg));
  nestrr_logger_keyframe_publish(&k.lg);
  EXPECT_TRUE(k.dump().key_frames.empty());
  nestrr_region too_many[NESTRR_KEYFRAME_REGIONS_MAX + 1] = {};
  EXPECT_FALSE(nestrr_logger_keyframe_take(&k.lg, too_many, NESTRR_KEYFRAME_REGIONS_MAX + 1));
}

TEST(LoggerKeyFrame, MissingPieceMakesItUnusableWithAWarning) {
  KeyFrames k(1, 1u << 16, 1u << 16);
  k.log(0, 3);
  State s(9);
  ASSERT_TRUE(s.take(&k.lg));
  nestrr_logger_keyframe_publish(&k.lg);
  k.sink.bytes.clear();
  nestrr_logger_dump(&k.lg);
  // Drop the frame line that carries the third key-frame piece.
  std::istringstream lines(k.sink.bytes);
  std::string line, kept;
  int piece_lines = 0;
  auto packets = nestrr_test::DecodePackets(k.sink.bytes);
  size_t index = 0;
  while (std::getline(lines, line)) {
    if (index < packets.size() && packets[index].has_key_frame() && ++piece_lines == 3) {
      ++index;
      continue;
    }
    ++index;
    kept += line + "\n";
  }
  std::istringstream in(kept);
  auto log = nestrr::eventlog::read_log(in);
  ASSERT_EQ(log.key_frames.size(), 1u);
  EXPECT_FALSE(log.key_frames[0].complete());
  EXPECT_NE(log.key_frames[0].problem.find("1 of its 6 pieces are missing"), std::string::npos)
      << log.key_frames[0].problem;
  bool warned = false;
  for (const auto& w : log.stats.warnings) warned |= w.message.find("key frame 1 is unusable") != std::string::npos;
  EXPECT_TRUE(warned);
}

}  // namespace
