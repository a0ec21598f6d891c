// The fast scan (scan.h) against the whole-log reader on the same streams:
// the same records, per CPU, field for field; merged in TSC order; in
// bounded memory; a packet whose columns contradict themselves reported
// as damage, nothing else lost.
#include <gtest/gtest.h>
#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/scan.h"
#include "nestrr/frame.h"
#include "logger_stream.h"
#include "test_util.h"

namespace nestrr::eventlog {
namespace {

std::vector<ScanRecord> scan_all(const std::string& bytes, ScanStats* stats = nullptr,
                                 size_t* most_held = nullptr) {
  std::istringstream in(bytes);
  LogScanner scan(in);
  std::vector<ScanRecord> out;
  std::vector<std::string> owned;  // bytes live until the next call only
  size_t held = 0;
  while (const ScanRecord* r = scan.next()) {
    out.push_back(*r);
    held = std::max(held, scan.queued());
  }
  if (stats) *stats = scan.stats();
  if (most_held) *most_held = held;
  return out;
}

// read_log's record in the scan's form: dt cleared, a VM exit's RIP absolute.
nestrr::v1::Record normalized(const Event& e) {
  nestrr::v1::Record r = e.record;
  r.clear_dt();
  if (r.has_vm_exit()) r.mutable_vm_exit()->set_guest_rip_delta(static_cast<int64_t>(e.guest_rip));
  return r;
}

// With `ordered` (every CPU's clock moving forward) the merged order is
// the TSC order; else each CPU's own order may step back in time.
void expect_same_as_read_log(const std::string& bytes, bool ordered) {
  const Log log = testing::read_string(bytes);
  ASSERT_TRUE(log.damage.empty());
  ASSERT_GT(log.event_count(), 0u);
  std::istringstream in(bytes);
  LogScanner scan(in);
  std::map<uint32_t, size_t> at;  // per CPU: records compared
  uint64_t last_tsc = 0, given = 0;
  while (const ScanRecord* r = scan.next()) {
    const CpuStream* s = log.find_cpu(r->cpu);
    ASSERT_NE(s, nullptr) << r->cpu;
    const size_t i = at[r->cpu]++;
    ASSERT_LT(i, s->events.size());
    const Event& e = s->events[i];
    EXPECT_EQ(r->seq, e.seq);
    EXPECT_EQ(r->tsc, e.tsc) << "cpu" << r->cpu << " seq " << r->seq;
    EXPECT_EQ(r->kind, static_cast<uint32_t>(e.record.event_case()));
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(r->record(), normalized(e)))
        << r->record().ShortDebugString() << " vs " << normalized(e).ShortDebugString();
    if (ordered) {
      EXPECT_GE(r->tsc, last_tsc) << "merge order at record " << given;
    }
    last_tsc = r->tsc;
    ++given;
  }
  EXPECT_EQ(given, log.event_count());
  EXPECT_EQ(scan.stats().out_of_window, 0u);
  EXPECT_EQ(scan.stats().lost_transport, 0u);
}

TEST(LogScanner, SameRecordsAsTheWholeLogReader) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    expect_same_as_read_log(logger_stream(3, 20'000, seed == 2 ? 6 : 0, false, seed), false);
  }
  expect_same_as_read_log(logger_stream(4, 20'000, 6, false, 7, false), true);
}

TEST(LogScanner, ReadsRecordsOnlyChunksToo) {
  expect_same_as_read_log(logger_stream(2, 5'000, 0, true, 4), false);
}

// With a short window the merge gives records before a quiet CPU speaks:
// memory stays at the window, and what arrives late is counted.
TEST(LogScanner, TheWindowBoundsWhatIsHeld) {
  const std::string bytes = logger_stream(4, 60'000, 0, false, 5);
  size_t held = 0;
  ScanStats stats;
  std::vector<ScanRecord> all = scan_all(bytes, &stats, &held);
  EXPECT_EQ(all.size(), testing::read_string(bytes).event_count());
  std::istringstream in(bytes);
  LogScanner small(in, 1000);
  size_t most = 0, n = 0;
  while (small.next()) {
    most = std::max(most, small.queued());
    ++n;
  }
  EXPECT_EQ(n, all.size());
  // What one slice of input decodes beyond the window at most (a record
  // takes a byte at least).
  EXPECT_LT(most, 1000u + LogScanner::kSlice);
}

// A chunk sent twice and another never: the scanner counts the repeat's
// records as duplicates and the gap as lost, as the whole-log reader does,
// and gives every other record once.
TEST(LogScanner, ARepeatedChunkIsDuplicatesAndADroppedOneIsLost) {
  const std::string bytes = logger_stream(2, 8'000, 0, false, 9);
  std::vector<std::string> lines;
  for (size_t at = 0; at < bytes.size();) {
    const size_t end = bytes.find('\n', at);
    ASSERT_NE(end, std::string::npos);
    lines.push_back(bytes.substr(at, end + 1 - at));
    at = end + 1;
  }
  ASSERT_GT(lines.size(), 20u);
  // Middle lines are chunks (the header comes first, the trailers last).
  const size_t repeated = lines.size() / 2, dropped = lines.size() / 2 + 3;
  std::string damaged;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i == dropped) continue;
    damaged += lines[i];
    if (i == repeated) damaged += lines[i];
  }
  const Log log = testing::read_string(damaged);
  ASSERT_GT(log.stats.duplicate_records, 0u);
  uint64_t lost = 0;
  for (const CpuStream& c : log.streams) lost += c.records_lost_transport;
  ASSERT_GT(lost, 0u);
  ScanStats stats;
  const auto records = scan_all(damaged, &stats);
  EXPECT_EQ(stats.duplicates, log.stats.duplicate_records);
  EXPECT_EQ(stats.lost_transport, lost);
  EXPECT_EQ(records.size(), log.event_count());
  EXPECT_EQ(stats.records, log.event_count() + log.stats.duplicate_records);
}

// A chunk whose order runs claim more exits than its columns hold: CRC
// good, packet bad. It is reported with its offset; the rest is read.
TEST(LogScanner, ContradictoryColumnsAreDamageNotACrash) {
  nestrr::v1::Packet bad;
  bad.set_cpu(0);
  bad.set_first_seq(0);
  bad.mutable_exits()->set_head(std::string("\xfd", 1));
  bad.mutable_exits()->add_dt(0);
  bad.mutable_exits()->add_reason(48);
  bad.mutable_exits()->add_rip(0x1000);
  bad.add_order(2);  // two exits, one head byte
  std::string line(NESTRR_FRAME_MAX_LINE, '\0');
  const std::string payload = bad.SerializeAsString();
  line.resize(nestrr_frame_encode(payload.data(), payload.size(), line.data()));
  const std::string good = logger_stream(1, 50, 0, false, 6);
  ScanStats stats;
  const auto records = scan_all(line + good, &stats);
  ASSERT_EQ(stats.damage.size(), 1u);
  EXPECT_EQ(stats.damage[0].kind, DamageKind::kBadPacket);
  EXPECT_EQ(stats.damage[0].offset, 0u);
  EXPECT_NE(stats.damage[0].detail.find("order run"), std::string::npos) << stats.damage[0].detail;
  EXPECT_EQ(records.size(), testing::read_string(good).event_count());
}

// A record's TSC may be the largest there is, which is also what an empty
// queue's head reads as. (Found by scan_fuzz: the merge took the head of
// cpu0's empty queue and gave garbage.)
TEST(LogScanner, ARecordAtTheLastTscIsGivenNotAnEmptyQueue) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(testing::header(2));
  w.chunk(1, 0, ~uint64_t{0}, std::vector{testing::vm_exit(0, 10, 0x1000)});
  w.trailer(0, 0);
  w.trailer(1, 1);
  std::istringstream in(out.str());
  LogScanner scanner(in);
  const ScanRecord* r = scanner.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cpu, 1u);
  EXPECT_EQ(r->tsc, ~uint64_t{0});
  EXPECT_EQ(r->reason, 10u);
  EXPECT_EQ(r->guest_rip, 0x1000u);
  EXPECT_FALSE(scanner.next());
}

// A CPU the header did not name shows up while others' records wait in the
// merge: the scanner grows its CPU table, and what waits must stay valid
// (records other than VM exits point into their frame's bytes; under ASan
// this fails if growing copies those bytes away).
TEST(LogScanner, ACpuBeyondTheHeaderKeepsWaitingRecordsValid) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(testing::header(2));
  w.chunk(0, 0, 100, std::vector{testing::entry(0), testing::entry(5)});
  w.chunk(3, 0, 90, std::vector{testing::entry(0)});
  w.chunk(7, 0, 95, std::vector{testing::entry(0)});
  for (uint32_t c : {0u, 1u, 3u, 7u}) w.trailer(c, c == 0 ? 2 : c == 1 ? 0 : 1);
  std::istringstream in(out.str());
  LogScanner scanner(in);
  std::vector<std::pair<uint32_t, uint64_t>> got;  // cpu, tsc
  while (const ScanRecord* r = scanner.next()) {
    const nestrr::v1::Record rec = r->record();
    EXPECT_EQ(static_cast<uint32_t>(rec.event_case()), r->kind);
    EXPECT_NE(rec.event_case(), nestrr::v1::Record::EVENT_NOT_SET);
    got.emplace_back(r->cpu, r->tsc);
  }
  const std::vector<std::pair<uint32_t, uint64_t>> want{{3, 90}, {7, 95}, {0, 100}, {0, 105}};
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace nestrr::eventlog
