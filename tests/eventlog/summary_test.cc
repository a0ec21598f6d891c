// The bounded-memory summary (summary.h) and merged stream
// (merged_stream.h) against the whole read on the same bytes: the same
// `info` text, loss report, not-a-log verdict, merged order and Chrome
// trace for logs
// of the real logger (1 to 8 CPUs, stream and flight recorder, with NMIs,
// quiesces and assertions), damaged by a noisy line and cut anywhere; a
// spliced capture is told apart by its late records.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "logger_stream.h"
#include "nestrr/eventlog/chrome_trace.h"
#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/eventlog/merged_stream.h"
#include "nestrr/eventlog/noise.h"
#include "nestrr/eventlog/not_a_log.h"
#include "nestrr/eventlog/summary.h"
#include "nestrr/eventlog/writer.h"
#include "test_util.h"

namespace nestrr::eventlog {
namespace {

LogSummary summarize(const std::string& bytes, bool keep_console = false) {
  std::istringstream in(bytes);
  return summarize_log(in, keep_console);
}

MergedStream::Open opener(const std::string& bytes) {
  return [&bytes] { return std::make_unique<std::istringstream>(bytes); };
}

// merge()'s order and Chrome trace, from the per-CPU readers.
void expect_same_order_and_trace(const std::string& bytes, const Log& whole, const Timeline& timeline) {
  const LogSummary summary = summarize(bytes, true);
  {
    MergedStream merged(opener(bytes), summary);
    size_t i = 0;
    while (const Event* e = merged.next()) {
      ASSERT_LT(i, timeline.order.size());
      const Event& want = whole.at(timeline.order[i]);
      ASSERT_EQ(std::make_pair(e->cpu, e->seq), std::make_pair(want.cpu, want.seq)) << "record " << i;
      ++i;
    }
    EXPECT_EQ(i, timeline.order.size());
    EXPECT_EQ(merged.cycles_broken(), timeline.stats.cycles_broken);
  }
  std::ostringstream want, got;
  write_chrome_trace(want, whole, timeline);
  MergedStream merged(opener(bytes), summary);
  write_chrome_trace(got, summary, merged);
  EXPECT_EQ(got.str(), want.str());
}

// Names every address, so that assertion lines show in the text.
std::string name_of(uint64_t address, bool) { return "fn_" + std::to_string(address % 97); }

void expect_same_as_whole_read(const std::string& bytes) {
  const Log whole = testing::read_string(bytes);
  const Timeline timeline = merge(whole);
  const LogSummary summary = summarize(bytes);
  ASSERT_EQ(summary.late_records, 0u);
  EXPECT_EQ(format_info(summary, name_of), format_info(whole, &timeline, name_of));
  EXPECT_EQ(loss_summary(summary.log), loss_summary(whole));
  EXPECT_EQ(why_not_a_log(summary.log), why_not_a_log(whole));
  EXPECT_EQ(summary.log.stats.clean(), whole.stats.clean());
  EXPECT_EQ(summary.log.event_count(), whole.event_count());
  EXPECT_EQ(summary.causal.cycles_broken, timeline.stats.cycles_broken);
  // Only each CPU's last record is held.
  for (const auto& s : summary.log.streams) EXPECT_LE(s.events.size(), 1u) << "cpu" << s.cpu;
  expect_same_order_and_trace(bytes, whole, timeline);
}

TEST(LogSummary, SameAsTheWholeRead) {
  for (uint32_t cpus : {1u, 2u, 4u, 8u}) {
    for (int variant = 0; variant < 5; ++variant) {
      SCOPED_TRACE(std::to_string(cpus) + " cpus, variant " + std::to_string(variant));
      LoggerMix mix;
      mix.dt_shift = variant == 1 ? 6 : 0;
      mix.records_only = variant == 2;
      mix.causal = variant >= 3;
      mix.flight = variant == 4;
      const std::string bytes = logger_stream(cpus, 4'000, 10 + variant, mix);
      expect_same_as_whole_read(bytes);
      if (mix.causal && cpus > 1) {
        const Timeline t = merge(testing::read_string(bytes));
        EXPECT_GT(t.stats.quiesce_edges, 0u);  // the comparison covers the edges
      }
    }
  }
}

TEST(LogSummary, SameAsTheWholeReadOnANoisyLine) {
  LoggerMix mix;
  mix.causal = true;
  const std::string clean = logger_stream(4, 8'000, 21, mix);
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE(seed);
    NoisyChannel line(seed, NoiseRates{3e-5 * static_cast<double>(seed), 3e-5, 3e-5, seed % 2 == 0});
    const NoiseResult noisy = line.apply(clean);
    ASSERT_FALSE(noisy.damaged.empty());
    expect_same_as_whole_read(noisy.bytes);
  }
}

TEST(LogSummary, SameAsTheWholeReadWhereverTheLogIsCut) {
  LoggerMix mix;
  mix.causal = true;
  const std::string bytes = logger_stream(3, 3'000, 22, mix);
  for (size_t i = 1; i <= 30; ++i) {
    const size_t cut = bytes.size() * i / 31 + i;  // not on a line boundary, mostly
    SCOPED_TRACE(cut);
    expect_same_as_whole_read(bytes.substr(0, cut));
  }
  // And things that are not logs at all.
  expect_same_as_whole_read("");
  expect_same_as_whole_read("XMHF: booting\nno frames here\n");
}

// Each CPU's records settled as they come, so duplicates of the record just
// settled and conflicting copies of it are told as the whole read tells them.
TEST(LogSummary, DuplicatesAndConflictsAsTheWholeRead) {
  std::string bytes;
  StreamWriter w([&](std::string_view b) { bytes.append(b); });
  w.header(testing::header(2));
  w.chunk(0, 0, 1000, testing::entries(10));
  w.chunk(0, 9, 1090, testing::entries(1));  // seq 9 again, the same
  auto changed = testing::entries(1);
  changed[0].set_dt(99);
  w.chunk(0, 9, 1090, changed);  // seq 9 again, other content
  w.chunk(0, 10, 1100, testing::entries(5));
  w.chunk(1, 3, 1000, testing::entries(4));  // seq 0-2 lost
  w.trailer(0, 15);
  w.trailer(1, 9);
  const Log whole = testing::read_string(bytes);
  EXPECT_EQ(whole.stats.duplicate_records, 1u);
  EXPECT_EQ(whole.stats.conflicting_records, 1u);
  expect_same_as_whole_read(bytes);
}

// A header may come after a CPU's first chunk (a capture that began
// mid-stream and a header sent again). Whether the records before that
// chunk's first are lost depends on it: a flight recorder's start where
// its ring did. Settled before the header came, the first gap waits for
// it. (Found by packet_fuzz: the summary counted a flight log's start as
// transport loss.)
TEST(LogSummary, AHeaderAfterTheFirstChunkDecidesItsGap) {
  for (const auto sink : {nestrr::v1::Header::SINK_FLIGHT_RECORDER, nestrr::v1::Header::SINK_STREAM}) {
    SCOPED_TRACE(nestrr::v1::Header::Sink_Name(sink));
    std::string bytes;
    StreamWriter w([&](std::string_view b) { bytes.append(b); });
    w.chunk(0, 4, 1000, testing::entries(3));
    nestrr::v1::Header h = testing::header(1);
    h.set_sink(sink);
    w.header(h);
    w.chunk(0, 7, 1100, testing::entries(3));
    w.trailer(0, 10);
    const Log whole = testing::read_string(bytes);
    EXPECT_EQ(whole.stats.records_lost_transport, sink == nestrr::v1::Header::SINK_STREAM ? 4u : 0u);
    expect_same_as_whole_read(bytes);
  }
}

// A file that grows between the passes (a capture still writing it): the
// second pass reads what the first one read, no more.
TEST(MergedStream, ReadsWhatTheSummaryRead) {
  std::string first;
  StreamWriter w([&](std::string_view b) { first.append(b); });
  w.header(testing::header(2));
  w.chunk(0, 0, 1000, testing::entries(10));
  w.chunk(1, 0, 1005, testing::entries(10));
  std::string grown = first;
  StreamWriter more([&](std::string_view b) { grown.append(b); });
  more.chunk(0, 10, 1100, testing::entries(10));
  more.chunk(1, 10, 1105, testing::entries(10));
  const LogSummary summary = summarize(first);
  MergedStream merged([&] { return std::make_unique<std::istringstream>(grown); }, summary);
  uint64_t n = 0;
  while (merged.next()) ++n;
  EXPECT_EQ(n, 20u);
  EXPECT_EQ(testing::read_string(grown).event_count(), 40u);
}

// A chunk that comes after later ones of its CPU cannot be settled in
// bounded memory: the summary says how many records came late.
TEST(LogSummary, ASplicedCaptureIsToldByItsLateRecords) {
  std::string bytes;
  StreamWriter w([&](std::string_view b) { bytes.append(b); });
  w.header(testing::header(1));
  w.chunk(0, 10, 2000, testing::entries(10));
  w.chunk(0, 0, 1000, testing::entries(10));
  w.chunk(0, 10, 2000, testing::entries(10));  // resent: behind the settled ones too
  w.trailer(0, 20);
  const LogSummary summary = summarize(bytes);
  EXPECT_EQ(summary.late_records, 19u);  // seq 19 again is the one a duplicate can be told against
  const Log whole = testing::read_string(bytes);
  EXPECT_EQ(whole.stats.records, 20u);  // the whole read sorts them
  EXPECT_EQ(whole.stats.duplicate_records, 10u);
}

}  // namespace
}  // namespace nestrr::eventlog
