// The checker over a log read front to back (check_stream) against the
// whole read (check_log) on the same bytes: the same report, word for word,
// on recordings of the core that show the stale VMCS02 field, on a long
// clean recording (the events the state names are let go and kept as they
// must be), and on hundreds of damaged copies whose loss turns findings
// into unknowns.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include "nestrr/check/check.h"
#include "nestrr/eventlog/merged_stream.h"
#include "nestrr/eventlog/summary.h"
#include "nestrr/replay/recorder.h"

namespace {

namespace el = nestrr::eventlog;
namespace ck = nestrr::check;

std::string record(core_variant variant, uint64_t iterations, bool widen) {
  nestrr::replay::RecordOptions opts;
  opts.scenario.variant = variant;
  opts.scenario.workload = {CORE_WORKLOAD_L1, CORE_WORKLOAD_REMAP};
  opts.scenario.iterations = iterations;
  if (widen) opts.scenario.options.push_back("widen=" + std::to_string(CORE_POINT_EPT02_FILL) + ":20000");
  opts.time_limit = std::chrono::seconds(30);
  std::ostringstream out;
  nestrr::replay::record(opts, out);
  return out.str();
}

struct Both {
  ck::CheckReport whole;
  std::string whole_text;
  std::string streamed_text;  // empty when the log must be read whole (late records)
};

Both check_both(const std::string& bytes) {
  Both b;
  std::istringstream in(bytes);
  const el::Log log = el::read_log(in);
  b.whole = ck::check_log(log, el::merge(log));
  b.whole_text = ck::format_report(log, b.whole);
  std::istringstream again(bytes);
  const el::LogSummary summary = el::summarize_log(again);
  if (summary.late_records) return b;
  auto open = [&] {
    return std::make_unique<el::MergedStream>([&] { return std::make_unique<std::istringstream>(bytes); },
                                              summary);
  };
  // Collected all the time: what a finding names must survive it.
  const ck::StreamedCheck streamed = ck::check_stream(summary, open, nullptr, 8);
  b.streamed_text = ck::format_report([&](el::EventRef r) -> const el::Event& { return streamed.at(r); },
                                      summary.time_base, streamed.report);
  EXPECT_EQ(streamed.report.outcome(), b.whole.outcome());
  return b;
}

TEST(StreamedCheck, SameReportWhereTheStaleFieldIsFound) {
  Both b;
  int runs = 0;
  while (runs < 10 && b.whole.violations.empty()) {
    b = check_both(record(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, 100, true));
    ++runs;
  }
  ASSERT_FALSE(b.whole.violations.empty()) << "no stale field in " << runs << " recordings";
  EXPECT_EQ(b.streamed_text, b.whole_text);
}

// Long enough that the events the state names are collected many times.
TEST(StreamedCheck, SameReportOnALongCleanRecording) {
  const std::string bytes = record(CORE_VARIANT_FIXED, 3000, false);
  const Both b = check_both(bytes);
  EXPECT_GT(b.whole.events, 100'000u);
  EXPECT_EQ(b.whole.outcome(), ck::Outcome::kHolds) << b.whole_text;
  EXPECT_EQ(b.streamed_text, b.whole_text);
}

TEST(StreamedCheck, SameReportOnDamagedCopies) {
  const std::string clean = record(CORE_VARIANT_FIXED, 40, false);
  std::mt19937_64 rng(16);
  int compared = 0, unknown = 0;
  for (int i = 0; i < 200; ++i) {
    std::string bytes = clean;
    const int hits = 1 + static_cast<int>(rng() % 3);
    for (int h = 0; h < hits; ++h) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    const Both b = check_both(bytes);
    if (b.streamed_text.empty()) continue;
    ++compared;
    if (!b.whole.unknown.empty()) ++unknown;
    ASSERT_EQ(b.streamed_text, b.whole_text) << "damaged copy " << i;
  }
  std::cout << compared << " of 200 damaged copies compared, " << unknown << " with findings the loss explains\n";
  EXPECT_GT(compared, 150);
  EXPECT_GT(unknown, 5);
}

}  // namespace
