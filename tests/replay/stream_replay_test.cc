// Replay that reads its log front to back (replay_file): the same outcome
// as the whole-log replay, a bounded number of records held however long
// the log, and loss named where the replay meets it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "nestrr/replay/replayer.h"
#include "recorded.h"

namespace nestrr::replay {
namespace {

ReplayOptions quiet() {
  ReplayOptions o;
  o.symbolize = false;
  return o;
}

// The recording's bytes in a file of its own, removed at the end.
class TempLog {
 public:
  explicit TempLog(const std::string& bytes) {
    path_ = std::filesystem::temp_directory_path() /
            ("nestrr_stream_replay_" + std::to_string(::getpid()) + "_" + std::to_string(n_++) + ".nrr");
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempLog() { std::filesystem::remove(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int n_ = 0;
  std::filesystem::path path_;
};

std::vector<std::string> lines_of(const std::string& bytes) {
  std::vector<std::string> out;
  std::istringstream in(bytes);
  for (std::string line; std::getline(in, line);) out.push_back(line + "\n");
  return out;
}

// The race (an assertion) and a 4-CPU run cut by its time limit.
TEST(StreamReplay, SameOutcomeAsTheWholeLog) {
  const testing::Recording cut = testing::record_for(CORE_VARIANT_FIXED, 4, std::chrono::milliseconds(40));
  for (const testing::Recording* rec : {&testing::vmxon_race(), &cut}) {
    TempLog file(rec->bytes);
    ReplayResult whole = replay(rec->log(), quiet());
    ReplayResult streamed = replay_file(file.path(), quiet());
    EXPECT_TRUE(whole.matched);
    EXPECT_EQ(streamed.matched, whole.matched);
    EXPECT_EQ(streamed.events_checked, whole.events_checked);
    EXPECT_EQ(streamed.progress, whole.progress);
    EXPECT_EQ(streamed.cpus_cut, whole.cpus_cut);
    ASSERT_EQ(streamed.failure.has_value(), whole.failure.has_value());
    if (whole.failure) {
      EXPECT_EQ(streamed.failure->cpu, whole.failure->cpu);
      EXPECT_EQ(streamed.failure->line, whole.failure->line);
      EXPECT_EQ(streamed.failure->progress, whole.failure->progress);
    }
    EXPECT_EQ(streamed.trace, whole.trace);
  }
}

// Memory follows the rings, not the log: with 64 KiB rings a long log is
// replayed holding a small part of its records at any time.
TEST(StreamReplay, HoldsABoundedShareOfALongLog) {
  RecordOptions o;
  // Long enough that what is held (the stretch by which the CPUs' chunks
  // are out of step, 5k-14k records here depending on how the recording
  // threads were scheduled) is a small share of it.
  o.scenario = default_scenario(CORE_VARIANT_FIXED, 2, 10000);
  o.time_limit = std::chrono::minutes(5);
  o.ring_bytes = 64u << 10;
  std::ostringstream out;
  ASSERT_EQ(record(o, out).end, RecordResult::End::kCompleted);
  TempLog file(out.str());
  uint64_t held = 0;
  ReplayResult r = replay_file(file.path(), quiet(), &held);
  ASSERT_TRUE(r.matched) << r.divergence->message();
  ASSERT_GT(r.events_checked, 500'000u);
  EXPECT_GT(held, 0u);
  EXPECT_LT(held, r.events_checked / 20) << "records held at once, of " << r.events_checked;
  std::cout << "held at most " << held << " of " << r.events_checked << " records\n";
}

// The replay of a log with loss, read front to back and read whole: both
// stop at the same loss, having matched the same records.
void expect_same_stop(const ReplayResult& streamed, const std::string& bytes) {
  std::istringstream in(bytes);
  ReplayResult whole = replay(eventlog::read_log(in), quiet());
  ASSERT_TRUE(whole.lost);
  EXPECT_FALSE(whole.matched);
  EXPECT_EQ(whole.lost->cpu, streamed.lost->cpu);
  EXPECT_EQ(whole.lost->index, streamed.lost->index);
  EXPECT_EQ(whole.lost->seq, streamed.lost->seq);
  EXPECT_EQ(whole.lost->expected, streamed.lost->expected);
  EXPECT_EQ(whole.events_checked, streamed.events_checked);
  EXPECT_EQ(whole.trace, streamed.trace);
}

// A frame lost in transport: the replay runs up to the gap on its CPU and
// stops there, naming the CPU and the records lost.
TEST(StreamReplay, StopsAtAGapNamingIt) {
  const testing::Recording rec = testing::record_iterations(CORE_VARIANT_FIXED, 2, 300);
  std::vector<std::string> lines = lines_of(rec.bytes);
  ASSERT_GT(lines.size(), 20u);
  std::string damaged;
  for (size_t i = 0; i < lines.size(); ++i)
    if (i != lines.size() / 2) damaged += lines[i];
  TempLog file(damaged);
  ReplayResult r = replay_file(file.path(), quiet());
  ASSERT_TRUE(r.lost) << "a log with a gap replayed to its end";
  EXPECT_FALSE(r.matched);
  EXPECT_FALSE(r.divergence);
  EXPECT_GT(r.events_checked, 0u);
  const std::string what = lost_message(*r.lost, r.events_checked);
  EXPECT_NE(what.find("lost in transport"), std::string::npos) << what;
  EXPECT_NE(what.find("records before it matched"), std::string::npos) << what;
  expect_same_stop(r, damaged);
}

// A capture cut before the trailers: the CPU whose records run out first
// is where the replay stops, and the message says the trailer is missing.
TEST(StreamReplay, StopsWhereATrailerlessStreamEnds) {
  const testing::Recording rec = testing::record_iterations(CORE_VARIANT_FIXED, 2, 300);
  const std::string cut = rec.bytes.substr(0, rec.bytes.size() * 2 / 3);
  TempLog file(cut);
  ReplayResult r = replay_file(file.path(), quiet());
  ASSERT_TRUE(r.lost) << "a cut log replayed to its end";
  EXPECT_NE(r.lost->expected.find("without its trailer"), std::string::npos) << r.lost->expected;
  expect_same_stop(r, cut);
}

TEST(StreamReplay, NotALogIsAnError) {
  TempLog file("XMHF: booting\nno frames\n");
  try {
    replay_file(file.path(), quiet());
    FAIL() << "a text file replayed";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("not a nestrr log"), std::string::npos) << e.what();
  }
}

TEST(StreamReplay, MissingFileIsAnError) {
  EXPECT_THROW(replay_file("/nonexistent/nestrr.nrr", quiet()), std::runtime_error);
}

}  // namespace
}  // namespace nestrr::replay
