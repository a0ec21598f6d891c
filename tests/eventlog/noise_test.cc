// Noisy channel round trip: the reader loses exactly the records of the
// frames the noise hit, and nothing else.
#include "nestrr/eventlog/noise.h"
#include "nestrr/eventlog/noise_truth.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "test_util.h"

namespace nestrr::eventlog {
namespace {

using namespace testing;

struct Body {
  std::string head, body, tail;
  std::vector<WrittenFrame> frames;  // chunk frames, offsets relative to body
};

// Header, then n random chunks of 4 CPUs, then trailers.
Body make_stream(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  Body out;
  std::string all;
  StreamWriter w([&](std::string_view b) { all.append(b); });
  w.header(header(4));
  w.text("hypervisor booting");
  out.head = all;
  uint64_t next[4] = {0, 0, 0, 0};
  for (int i = 0; i < n; ++i) {
    const uint32_t cpu = rng() % 4;
    std::vector<nestrr::v1::Record> recs;
    const size_t count = 1 + rng() % 20;
    for (size_t k = 0; k < count; ++k) recs.push_back(vm_exit(rng() % 1000, rng() % 60, rng() % 64));
    w.chunk(cpu, next[cpu], 1000 * i, recs);
    next[cpu] += count;
    if (rng() % 5 == 0) w.text("cpu" + std::to_string(cpu) + ": some console output");
  }
  out.body = all.substr(out.head.size());
  for (const auto& f : w.frames()) {
    if (!f.is_chunk) continue;
    WrittenFrame g = f;
    g.offset -= out.head.size();
    out.frames.push_back(g);
  }
  const size_t before_tail = all.size();
  for (uint32_t c = 0; c < 4; ++c) w.trailer(c, next[c]);
  out.tail = all.substr(before_tail);
  return out;
}

// frame_reports: also check that every hit frame is reported (holds at
// moderate noise; at heavy noise hit frames run into each other).
void check_round_trip(uint64_t seed, NoiseRates rates, bool frame_reports = true) {
  Body s = make_stream(seed, 300);
  NoisyChannel channel(seed * 31 + 1, rates);
  NoiseResult noisy = channel.apply(s.body);
  NoiseTruth truth = noise_truth(s.body, noisy.damaged);
  // The truth sees the same frames the writer wrote.
  uint64_t written = 0;
  for (const auto& f : s.frames) written += f.records;
  ASSERT_EQ(truth.records, written);

  Log log = read_string(s.head + noisy.bytes + s.tail);
  TruthCheck check = check_against_truth(log, truth);
  for (const auto& problem : check.problems) ADD_FAILURE() << "seed " << seed << ": " << problem;
  EXPECT_GE(log.stats.records_lost_transport, truth.records_hit) << "seed " << seed;
  // Frame-level reports are best effort (a frame hit in its mark and its
  // newline runs into the next one); record-level accounting is exact.
  if (frame_reports) {
    EXPECT_GE(log.stats.frames_damaged_total() + truth.frames_hit_newline, truth.frames_hit)
        << "seed " << seed;
  }
  EXPECT_EQ(log.stats.records_dropped_logger, 0u);
}

TEST(Noise, CrlfOnlyCostsNothing) {
  Body s = make_stream(1, 100);
  NoisyChannel channel(5, NoiseRates{0, 0, 0, true});
  NoiseResult noisy = channel.apply(s.head + s.body + s.tail);
  EXPECT_TRUE(noisy.damaged.empty());
  Log log = read_string(noisy.bytes);
  EXPECT_EQ(log.stats.frames_damaged_total(), 0u);
  EXPECT_EQ(log.stats.records_lost_transport, 0u);
  EXPECT_GT(log.stats.records, 100u);
}

TEST(Noise, ReportedPositionsMatchTheChanges) {
  NoisyChannel channel(9, NoiseRates{0.01, 0.01, 0, false});
  const std::string input(10000, 'A');
  NoiseResult r = channel.apply(input);
  EXPECT_EQ(r.damaged.size(), r.drops + r.flips - 0u - /* both on one byte */ 0u);
  EXPECT_EQ(r.bytes.size(), input.size() - r.drops);
  EXPECT_GT(r.drops, 0u);
  EXPECT_GT(r.flips, 0u);
}

TEST(Noise, SeededRoundTripLosesExactlyTheHitFrames) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    check_round_trip(seed, NoiseRates{0.0005, 0.0005, 0.0005, seed % 2 == 0});
  }
}

TEST(Noise, HeavyNoiseStillAccountsForEveryRecord) {
  for (uint64_t seed = 100; seed < 105; ++seed) {
    check_round_trip(seed, NoiseRates{0.01, 0.01, 0.005, true}, false);
  }
}

}  // namespace
}  // namespace nestrr::eventlog
