// Every size or count a log declares is bounded before anything is sized by
// it (limits.h): one test per field, each with a packet that claims too
// much, framed with a good CRC so that only the bound stands between it and
// an allocation.
#include <gtest/gtest.h>

#include "nestrr/eventlog/limits.h"
#include "nestrr/eventlog/log_stream.h"
#include "test_util.h"

namespace nestrr::eventlog {
namespace {

using namespace testing;

std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}

// A length-delimited field whose length says `claimed` while `body` is all
// that follows it: the parse must fail on it, not allocate `claimed`.
std::string field_claiming(int number, uint64_t claimed, const std::string& body) {
  return varint((static_cast<uint64_t>(number) << 3) | 2) + varint(claimed) + body;
}
std::string field(int number, const std::string& bytes) {
  return varint((static_cast<uint64_t>(number) << 3) | 2) + varint(bytes.size()) + bytes;
}

int number_of(const google::protobuf::Descriptor* d, const char* name) {
  return d->FindFieldByName(name)->number();
}

const Damage* only_damage(const Log& log) { return log.damage.size() == 1 ? &log.damage[0] : nullptr; }

// A header that says 4294967295 CPUs: refused as a bad packet with the
// number and the limit; nothing is kept from it.
TEST(Limits, HeaderCpuCount) {
  nestrr::v1::Header h = header(2);
  h.set_cpu_count(0xffffffffu);
  std::ostringstream out;
  StreamWriter w(out);
  w.header(h);
  w.chunk(0, 0, 10, entries(3));
  Log log = read_string(out.str());
  EXPECT_FALSE(log.header);
  const Damage* d = only_damage(log);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, DamageKind::kBadPacket);
  EXPECT_EQ(d->offset, 0u);
  EXPECT_NE(d->detail.find("header declares 4294967295 CPUs; at most 4096"), std::string::npos) << d->detail;
  EXPECT_EQ(log.event_count(), 3u);  // the rest of the log is read
  // The largest legal count is kept.
  h.set_cpu_count(kMaxCpus);
  std::ostringstream ok;
  StreamWriter(ok).header(h);
  Log kept = read_string(ok.str());
  ASSERT_TRUE(kept.header);
  EXPECT_EQ(kept.header->cpu_count(), kMaxCpus);
}

TEST(Limits, ChunkCpu) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(2));
  w.chunk(kMaxCpus, 0, 10, entries(3));
  w.chunk(0xffffffffu, 0, 10, entries(3));  // also the console's kNoCpu
  Log log = read_string(out.str());
  EXPECT_TRUE(log.streams.empty());
  ASSERT_EQ(log.damage.size(), 2u);
  EXPECT_NE(log.damage[0].detail.find("chunk of cpu 4096: CPU ids go from 0 to 4095"), std::string::npos)
      << log.damage[0].detail;
  EXPECT_NE(log.damage[1].detail.find("chunk of cpu 4294967295"), std::string::npos) << log.damage[1].detail;
}

TEST(Limits, TrailerCpu) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.trailer(0xfffffffeu, 5);
  Log log = read_string(out.str());
  EXPECT_TRUE(log.streams.empty());
  const Damage* d = only_damage(log);
  ASSERT_TRUE(d);
  EXPECT_NE(d->detail.find("trailer of cpu 4294967294"), std::string::npos) << d->detail;
}

// An EPT01 change covers at most the largest EPT page: the checker follows
// EPT01 page by page. (Found by packet_fuzz: a change of 2^40 bytes had
// check_log build a map of 2^28 pages.) The chunk is refused whole, so
// its records are a gap that the checker reports as loss.
TEST(Limits, Ept01ChangeSize) {
  auto change = [](uint64_t size) {
    nestrr::v1::Record r;
    r.set_dt(1);
    r.mutable_ept01_change()->set_gpa(0x5000);
    r.mutable_ept01_change()->set_hpa(0x80000);
    r.mutable_ept01_change()->set_size(size);
    r.mutable_ept01_change()->set_permissions(7);
    return r;
  };
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.chunk(0, 0, 10, std::vector{change(kMaxEpt01ChangeBytes)});
  w.chunk(0, 1, 20, std::vector{change(kMaxEpt01ChangeBytes + 1)});
  w.chunk(0, 2, 30, std::vector{change(uint64_t{1} << 40)});
  w.trailer(0, 3);
  Log log = read_string(out.str());
  ASSERT_EQ(log.streams.size(), 1u);
  EXPECT_EQ(log.streams[0].events.size(), 1u);
  ASSERT_EQ(log.damage.size(), 2u);
  EXPECT_NE(log.damage[0].detail.find("EPT01 change at seq 1 (record 0) covers 1073741825 bytes; at most "
                                      "1073741824 are supported"),
            std::string::npos)
      << log.damage[0].detail;
  EXPECT_EQ(log.stats.records_lost_transport, 2u);
}

// A sparse key-frame region sends only its non-zero pieces: its declared
// size is not bounded by the file, so it is bounded here.
TEST(Limits, KeyFrameRegionBytes) {
  nestrr::v1::Packet p;
  auto* k = p.mutable_key_frame();
  k->set_id(1);
  k->set_pieces(1);
  k->add_next_seq(0);
  auto* r = k->add_region();
  r->set_name("phys");
  r->set_bytes(~uint64_t{0});
  r->set_sparse(true);
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.packet(p);
  Log log = read_string(out.str());
  EXPECT_TRUE(log.key_frames.empty());
  const Damage* d = only_damage(log);
  ASSERT_TRUE(d);
  EXPECT_NE(d->detail.find("region 'phys' of 18446744073709551615 bytes"), std::string::npos) << d->detail;
}

// The module table, record counts, stack bytes and strings are bounded by
// the frame: a field that claims more bytes than the payload has fails the
// parse (bad_packet) instead of being allocated.
TEST(Limits, ModuleTableAndStringLengths) {
  const int module = number_of(nestrr::v1::Header::descriptor(), "module");
  const int name = number_of(nestrr::v1::Module::descriptor(), "name");
  std::string packet = field(5, field(module, field_claiming(name, 0x7fffffff, "abc")));
  Log log = read_string(encode_frame(packet));
  const Damage* d = only_damage(log);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, DamageKind::kBadPacket);
  EXPECT_FALSE(log.header);
  // As many modules as one frame holds are read.
  nestrr::v1::Header h = header(1);
  while (true) {
    nestrr::v1::Header more = h;
    more.add_module()->set_name("m");
    nestrr::v1::Packet p;
    *p.mutable_header() = more;
    if (p.ByteSizeLong() > NESTRR_FRAME_MAX_PAYLOAD) break;
    h = more;
  }
  std::ostringstream out;
  StreamWriter(out).header(h);
  Log full = read_string(out.str());
  ASSERT_TRUE(full.header);
  EXPECT_EQ(full.header->module_size(), h.module_size());
  EXPECT_GT(full.header->module_size(), 100);
}

TEST(Limits, StackBytes) {
  const int af = number_of(nestrr::v1::Record::descriptor(), "assertion_failure");
  const int stack = number_of(nestrr::v1::AssertionFailure::descriptor(), "stack");
  const std::string inner = field_claiming(stack, uint64_t{1} << 40, std::string(16, 'x'));
  const std::string record = field(af, inner);
  const std::string packet = varint(1 << 3) + varint(1) + field(4, record);  // cpu 1, one record
  Log log = read_string(encode_frame(packet));
  const Damage* d = only_damage(log);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, DamageKind::kBadPacket);
  EXPECT_EQ(log.event_count(), 0u);
}

TEST(Limits, ConsoleTextLength) {
  const int ct = number_of(nestrr::v1::Record::descriptor(), "console_text");
  const std::string record = field(ct, field_claiming(1, 0xffffffffu, "hello"));
  Log log = read_string(encode_frame(varint(1 << 3) + varint(0) + field(4, record)));
  const Damage* d = only_damage(log);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, DamageKind::kBadPacket);
}

// A packet's length is the frame's: a base64 run past the largest frame is
// one too_long report, read in bounded memory.
TEST(Limits, PacketLength) {
  std::string huge = "~N" + std::string(4u << 20, 'A') + "\n";
  Log log = read_string(huge);
  const Damage* d = only_damage(log);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, DamageKind::kTooLong);
  EXPECT_EQ(d->length, huge.size());
}

// Record counts a log promises (a trailer's next_seq, a drop count) are
// counted, never allocated: the largest ones are read at once.
TEST(Limits, RecordCounts) {
  nestrr::v1::Record lost;
  lost.mutable_records_lost()->set_cpu(0);
  lost.mutable_records_lost()->set_count(~uint64_t{0});
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(1));
  w.chunk(0, 0, 10, std::vector<nestrr::v1::Record>{lost, lost});
  w.trailer(0, ~uint64_t{0}, 5);
  Log log = read_string(out.str());
  EXPECT_EQ(log.stats.records_dropped_logger, ~uint64_t{0});  // saturated
  EXPECT_EQ(log.stats.records_lost_transport, ~uint64_t{0} - 2);
  ASSERT_EQ(log.gaps.size(), 1u);
  EXPECT_TRUE(log.gaps[0].tail);
  EXPECT_EQ(log.event_count(), 2u);
}

// The front-to-back reader applies the same bounds.
TEST(Limits, StreamReaderRefusesTheSameHeader) {
  nestrr::v1::Header h = header(2);
  h.set_cpu_count(0xffffffffu);
  std::ostringstream out;
  StreamWriter w(out);
  w.header(h);
  w.chunk(5000, 0, 10, entries(2));
  std::istringstream in(out.str());
  LogStream s(in);
  EXPECT_EQ(s.header(), nullptr);
  EXPECT_EQ(s.front(5000), nullptr);
  ASSERT_EQ(s.damage().size(), 2u);
  EXPECT_NE(s.damage()[0].detail.find("4294967295 CPUs"), std::string::npos);
}

}  // namespace
}  // namespace nestrr::eventlog
