// Log assembly: absolute TSC and RIP, duplicates, gaps, tail loss, logger
// drops, schema warnings, bad packets, file errors.
#include "nestrr/eventlog/log.h"

#include <gtest/gtest.h>

#include <google/protobuf/unknown_field_set.h>

#include "nestrr/eventlog/log_builder.h"
#include "test_util.h"

namespace nestrr::eventlog {
namespace {

using namespace testing;

bool has_warning(const Log& log, const std::string& part) {
  for (auto& w : log.stats.warnings) {
    if (w.message.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(Log, ChunksBecomeAbsoluteTscAndRip) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(2));
  std::vector<nestrr::v1::Record> recs = {vm_exit(5, 10, 0x1000), entry(3), vm_exit(-2, 12, 0x10),
                                          vm_exit(4, 30, -0x8)};
  w.chunk(1, 0, 1000, recs);
  w.trailer(1, 4);
  Log log = read_string(out.str());
  ASSERT_EQ(log.streams.size(), 1u);
  const auto& ev = log.streams[0].events;
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].tsc, 1005u);
  EXPECT_EQ(ev[1].tsc, 1008u);
  EXPECT_EQ(ev[2].tsc, 1006u);  // earlier than its predecessor: legal
  EXPECT_EQ(ev[3].tsc, 1010u);
  EXPECT_EQ(ev[0].guest_rip, 0x1000u);
  EXPECT_EQ(ev[2].guest_rip, 0x1010u);
  EXPECT_EQ(ev[3].guest_rip, 0x1008u);
  EXPECT_EQ(ev[3].seq, 3u);
  EXPECT_EQ(log.stats.records, 4u);
  EXPECT_TRUE(log.stats.clean());
  EXPECT_TRUE(log.stats.warnings.empty());
  ASSERT_TRUE(log.header);
  EXPECT_EQ(log.header->cpu_count(), 2u);
}

TEST(Log, WriterSplitsBigChunksIntoSelfContainedFrames) {
  std::vector<nestrr::v1::Record> recs;
  for (int i = 0; i < 1000; ++i) recs.push_back(vm_exit(7, 10, i % 3 == 0 ? 0x100 : -4));
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  const size_t frames = w.chunk(0, 0, 50, recs);
  EXPECT_GT(frames, 1u);
  Log log = read_string(out.str());
  ASSERT_EQ(log.streams.size(), 1u);
  ASSERT_EQ(log.streams[0].events.size(), 1000u);
  uint64_t rip = 0;
  for (int i = 0; i < 1000; ++i) {
    rip += static_cast<uint64_t>(i % 3 == 0 ? 0x100 : -4);
    EXPECT_EQ(log.streams[0].events[i].tsc, 50u + 7u * (i + 1)) << i;
    EXPECT_EQ(log.streams[0].events[i].guest_rip, rip) << i;
  }
  EXPECT_EQ(log.stats.records_lost_transport, 0u);
}

TEST(Log, RepeatedChunkIsDroppedAsDuplicate) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.chunk(0, 0, 100, entries(5));
  w.chunk(0, 5, 200, entries(5));
  w.chunk(0, 0, 100, entries(5));
  Log log = read_string(out.str());
  EXPECT_EQ(log.streams[0].events.size(), 10u);
  EXPECT_EQ(log.stats.duplicate_records, 5u);
  EXPECT_EQ(log.stats.conflicting_records, 0u);
  EXPECT_EQ(log.stats.records_lost_transport, 0u);
}

TEST(Log, SameSeqWithDifferentContentIsAConflict) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.chunk(0, 0, 100, entries(3));
  w.chunk(0, 2, 500, entries(1));
  Log log = read_string(out.str());
  EXPECT_EQ(log.streams[0].events.size(), 3u);
  EXPECT_EQ(log.stats.conflicting_records, 1u);
  EXPECT_TRUE(has_warning(log, "seq 2 seen twice"));
}

TEST(Log, SeqGapsAndTailLossAreCountedExactly) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(2));
  w.chunk(0, 0, 0, entries(10));
  const uint64_t gap_at = w.bytes_written();
  w.chunk(0, 15, 1000, entries(5));   // 10..14 lost
  w.chunk(1, 3, 0, entries(2));       // 0..2 lost on cpu1
  w.trailer(0, 25);                   // 20..24 lost at the tail
  w.trailer(1, 5);
  Log log = read_string(out.str());
  EXPECT_EQ(log.stats.records_lost_transport, 5u + 3u + 5u);
  ASSERT_EQ(log.gaps.size(), 3u);
  EXPECT_EQ(log.gaps[0].cpu, 0u);
  EXPECT_EQ(log.gaps[0].from, 10u);
  EXPECT_EQ(log.gaps[0].to, 15u);
  EXPECT_EQ(log.gaps[0].stream_offset, gap_at);
  EXPECT_FALSE(log.gaps[0].tail);
  EXPECT_EQ(log.gaps[1].from, 20u);
  EXPECT_EQ(log.gaps[1].count(), 5u);
  EXPECT_TRUE(log.gaps[1].tail);
  EXPECT_EQ(log.gaps[2].cpu, 1u);
  EXPECT_EQ(log.gaps[2].count(), 3u);
  EXPECT_EQ(log.stats.records_dropped_logger, 0u);
}

TEST(Log, LiveCountersFollowTheStream) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.chunk(0, 0, 0, entries(4));
  w.chunk(0, 10, 0, entries(4));
  LogBuilder b;
  b.feed(out.str());
  EXPECT_EQ(b.live().frames_ok, 3u);
  EXPECT_EQ(b.live().records, 8u);
  EXPECT_EQ(b.live().records_lost_transport, 6u);
  EXPECT_EQ(b.finish().stats.records_lost_transport, 6u);
}

TEST(Log, LoggerDropsAreSeparateFromTransportLoss) {
  nestrr::v1::Record lost;
  lost.mutable_records_lost()->set_cpu(0);
  lost.mutable_records_lost()->set_count(7);
  std::vector<nestrr::v1::Record> recs = {entry(1), lost, entry(1)};
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.chunk(0, 0, 0, recs);
  w.trailer(0, 3, 9);
  Log log = read_string(out.str());
  EXPECT_EQ(log.stats.records_dropped_logger, 7u);
  EXPECT_EQ(log.stats.records_lost_transport, 0u);
  EXPECT_TRUE(has_warning(log, "counts 9 logger drops"));
}

// The per-record walk takes shortcuts (a table per event case, leaf events
// checked without recursion): unknown fields on the record itself and two
// levels below it are found as well.
TEST(Log, UnknownFieldsAreFoundOnTheRecordAndInNestedEvents) {
  nestrr::v1::Packet packet;
  packet.set_cpu(0);
  auto* rec = packet.add_record();
  rec->GetReflection()->MutableUnknownFields(rec)->AddVarint(41, 1);
  auto* registers = rec->mutable_assertion_failure()->mutable_registers();
  registers->GetReflection()->MutableUnknownFields(registers)->AddVarint(63, 2);
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.packet(packet);
  Log log = read_string(out.str());
  EXPECT_TRUE(has_warning(log, "unknown field 41 in nestrr.v1.Record"));
  EXPECT_TRUE(has_warning(log, "unknown field 63 in nestrr.v1.Registers"));
  EXPECT_EQ(log.stats.unknown_fields, 2u);
}

TEST(Log, UnknownFieldsAreNamedAndTheRestIsKept) {
  nestrr::v1::Packet packet;
  packet.set_cpu(0);
  auto* rec = packet.add_record();
  rec->set_dt(5);
  rec->mutable_vm_exit()->set_reason(10);
  {
    auto* m = rec->mutable_vm_exit();
    m->GetReflection()->MutableUnknownFields(m)->AddVarint(99, 1);
  }
  packet.GetReflection()->MutableUnknownFields(&packet)->AddLengthDelimited(77, "future");
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.packet(packet);
  w.packet(packet);  // same unknown fields again: one warning each, all counted
  Log log = read_string(out.str());
  EXPECT_TRUE(has_warning(log, "unknown field 99 in nestrr.v1.VmExit"));
  EXPECT_TRUE(has_warning(log, "unknown field 77 in nestrr.v1.Packet"));
  EXPECT_EQ(log.stats.unknown_fields, 4u);
  ASSERT_EQ(log.streams.size(), 1u);
  EXPECT_EQ(log.streams[0].events[0].record.vm_exit().reason(), 10u);
}

TEST(Log, NewerFormatVersionWarnsAndContinues) {
  auto h = header(1);
  h.set_format_version(kFormatVersion + 1);
  std::ostringstream out;
  StreamWriter w(out);
  w.header(h);
  w.chunk(0, 0, 0, entries(2));
  Log log = read_string(out.str());
  EXPECT_TRUE(has_warning(log, "format version " + std::to_string(kFormatVersion + 1) +
                                   " is newer than this reader's version " +
                                   std::to_string(kFormatVersion)));
  EXPECT_EQ(log.stats.records, 2u);
}

TEST(Log, CpuBeyondCpuCountWarnsAndIsKept) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(2));
  w.chunk(5, 0, 0, entries(2));
  Log log = read_string(out.str());
  EXPECT_TRUE(has_warning(log, "cpu5 is beyond the header's cpu_count 2"));
  ASSERT_NE(log.find_cpu(5), nullptr);
  EXPECT_EQ(log.find_cpu(5)->events.size(), 2u);
}

TEST(Log, MissingHeaderIsAWarning) {
  std::ostringstream out;
  StreamWriter w(out);
  w.chunk(0, 0, 0, entries(1));
  Log log = read_string(out.str());
  EXPECT_TRUE(has_warning(log, "no header"));
}

TEST(Log, PayloadThatIsNoPacketIsDamage) {
  const std::string bad = encode_frame(std::string("\xff\xff\xff\xff", 4));
  Log log = read_string("hi\n" + bad);
  ASSERT_EQ(log.damage.size(), 1u);
  EXPECT_EQ(log.damage[0].kind, DamageKind::kBadPacket);
  EXPECT_EQ(log.damage[0].offset, 3u);
  EXPECT_EQ(log.stats.damaged(DamageKind::kBadPacket), 1u);
  EXPECT_EQ(log.stats.frames_ok, 0u);
}

TEST(Log, ConsoleTextKeepsOffsetsAndInvalidBytes) {
  Log log = read_string("boot ok\nbad \xff byte\n");
  ASSERT_EQ(log.console.size(), 2u);
  EXPECT_EQ(log.console[0].record.console_text().text(), "boot ok");
  EXPECT_EQ(log.console[1].stream_offset, 8u);
  EXPECT_EQ(log.console[1].record.console_text().text(), "bad \\xff byte");
  EXPECT_EQ(log.console[1].cpu, kNoCpu);
  EXPECT_EQ(log.stats.text_bytes, 19u);
}

TEST(Log, MissingFileIsAClearError) {
  try {
    read_log_file("/nonexistent/dir/run.nrr");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/run.nrr"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos);
  }
}

}  // namespace
}  // namespace nestrr::eventlog
