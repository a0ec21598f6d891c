// Byte-exact checks of the protobuf writer and of one encoded VmExit chunk,
// and "room runs out after byte N" for every N.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "frames.h"
#include "nestrr/pb_out.h"

namespace {

std::string Hex(const unsigned char* p, uint32_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint32_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::string Hex(const std::string& b) {
  return Hex(reinterpret_cast<const unsigned char*>(b.data()), static_cast<uint32_t>(b.size()));
}

std::string Varint(uint64_t v) {
  unsigned char buf[16];
  nestrr_pb_out o;
  nestrr_pb_init(&o, buf, sizeof buf);
  EXPECT_TRUE(nestrr_pb_varint(&o, v));
  EXPECT_EQ(o.len, nestrr_pb_varint_size(v));
  return Hex(buf, o.len);
}

TEST(LoggerCodec, VarintBytes) {
  EXPECT_EQ(Varint(0), "00");
  EXPECT_EQ(Varint(1), "01");
  EXPECT_EQ(Varint(127), "7f");
  EXPECT_EQ(Varint(128), "80 01");
  EXPECT_EQ(Varint(300), "ac 02");
  EXPECT_EQ(Varint(0xffffffffu), "ff ff ff ff 0f");
  EXPECT_EQ(Varint(UINT64_MAX), "ff ff ff ff ff ff ff ff ff 01");
}

TEST(LoggerCodec, ZigZag) {
  EXPECT_EQ(nestrr_pb_zigzag(0), 0u);
  EXPECT_EQ(nestrr_pb_zigzag(-1), 1u);
  EXPECT_EQ(nestrr_pb_zigzag(1), 2u);
  EXPECT_EQ(nestrr_pb_zigzag(-2), 3u);
  EXPECT_EQ(nestrr_pb_zigzag(INT64_MAX), UINT64_MAX - 1);
  EXPECT_EQ(nestrr_pb_zigzag(INT64_MIN), UINT64_MAX);
}

TEST(LoggerCodec, FieldsSkipZeroAndKeepExplicit) {
  unsigned char buf[32];
  nestrr_pb_out o;
  nestrr_pb_init(&o, buf, sizeof buf);
  ASSERT_TRUE(nestrr_pb_uint_nz(&o, NESTRR_T_VM_EXIT_REASON, 0));
  ASSERT_TRUE(nestrr_pb_uint(&o, NESTRR_T_NMI_RECEIVED_SOURCE_CPU, 0));
  ASSERT_TRUE(nestrr_pb_sint_nz(&o, NESTRR_T_RECORD_DT, -3));
  ASSERT_TRUE(nestrr_pb_string_nz(&o, NESTRR_T_MEMORY_SNAPSHOT_LABEL, "ab", 2));
  ASSERT_TRUE(nestrr_pb_string_nz(&o, NESTRR_T_MEMORY_SNAPSHOT_DATA, "", 0));
  EXPECT_EQ(Hex(buf, o.len), "08 00 08 05 1a 02 61 62");
}

bool Body(nestrr_pb_out* o, const void*) {
  return nestrr_pb_uint(o, NESTRR_T_TRAILER_CPU, 3) && nestrr_pb_uint(o, NESTRR_T_TRAILER_NEXT_SEQ, 300);
}

TEST(LoggerCodec, SubmessageLengthPrefix) {
  unsigned char buf[32];
  nestrr_pb_out o;
  nestrr_pb_init(&o, buf, sizeof buf);
  ASSERT_TRUE(nestrr_pb_submsg(&o, NESTRR_T_PACKET_TRAILER, Body, nullptr));
  EXPECT_EQ(Hex(buf, o.len), "32 05 08 03 10 ac 02");
}

bool LongBody(nestrr_pb_out* o, const void* arg) {
  const auto* text = static_cast<const std::string*>(arg);
  return nestrr_pb_string_nz(o, NESTRR_T_HEADER_DESCRIPTION, text->data(),
                             static_cast<uint32_t>(text->size()));
}

// A body of 128 bytes or more needs a 2-byte length: the writer shifts it.
TEST(LoggerCodec, LongSubmessageMatchesLibprotobuf) {
  for (size_t n : {124u, 125u, 126u, 200u, 1000u}) {
    std::string text(n, 'q');
    text[0] = 'A';
    text[n - 1] = 'Z';
    std::vector<unsigned char> buf(2048);
    nestrr_pb_out o;
    nestrr_pb_init(&o, buf.data(), static_cast<uint32_t>(buf.size()));
    ASSERT_TRUE(nestrr_pb_submsg(&o, NESTRR_T_PACKET_HEADER, LongBody, &text));
    nestrr::v1::Packet p;
    p.mutable_header()->set_description(text);
    EXPECT_EQ(Hex(buf.data(), o.len), Hex(p.SerializeAsString())) << n;
    nestrr_pb_out sizer;
    nestrr_pb_sizer(&sizer);
    ASSERT_TRUE(nestrr_pb_submsg(&sizer, NESTRR_T_PACKET_HEADER, LongBody, &text));
    EXPECT_EQ(sizer.len, o.len);
  }
}

// Every prefix of the room a message needs must fail, and keep failing.
TEST(LoggerCodec, FailsAfterByteN) {
  unsigned char full[64];
  nestrr_pb_out o;
  nestrr_pb_init(&o, full, sizeof full);
  ASSERT_TRUE(nestrr_pb_submsg(&o, NESTRR_T_PACKET_TRAILER, Body, nullptr));
  ASSERT_TRUE(nestrr_pb_string_nz(&o, NESTRR_T_MEMORY_SNAPSHOT_DATA, "xyz", 3));
  const uint32_t need = o.len;
  for (uint32_t cap = 0; cap < need; ++cap) {
    std::vector<unsigned char> buf(cap + 8, 0xee);
    nestrr_pb_init(&o, buf.data(), cap);
    bool ok = nestrr_pb_submsg(&o, NESTRR_T_PACKET_TRAILER, Body, nullptr) &&
              nestrr_pb_string_nz(&o, NESTRR_T_MEMORY_SNAPSHOT_DATA, "xyz", 3);
    EXPECT_FALSE(ok) << "cap " << cap;
    EXPECT_FALSE(o.ok);
    EXPECT_LE(o.len, cap);
    for (uint32_t i = cap; i < buf.size(); ++i) EXPECT_EQ(buf[i], 0xee) << "wrote past cap " << cap;
    EXPECT_FALSE(nestrr_pb_varint(&o, 1)) << "first error must stick";
  }
}

// The same with a 2-byte length, where the shift needs the last bytes.
TEST(LoggerCodec, LongSubmessageFailsAfterByteN) {
  const std::string text(150, 'w');
  nestrr_pb_out o;
  nestrr_pb_sizer(&o);
  ASSERT_TRUE(nestrr_pb_submsg(&o, NESTRR_T_PACKET_HEADER, LongBody, &text));
  const uint32_t need = o.len;
  for (uint32_t cap = 0; cap <= need; ++cap) {
    std::vector<unsigned char> buf(cap + 8, 0xee);
    nestrr_pb_init(&o, buf.data(), cap);
    EXPECT_EQ(nestrr_pb_submsg(&o, NESTRR_T_PACKET_HEADER, LongBody, &text), cap == need) << cap;
    for (uint32_t i = cap; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xee) << "wrote past cap " << cap;
  }
}

struct FixedClock {
  uint64_t now = 0;
  static uint64_t read(void* ctx) { return static_cast<FixedClock*>(ctx)->now; }
};

// A logger writing two VM exits on cpu 1 at TSC 1000 and 998 (an earlier
// TSC: dt is signed), flushed; the chunk frame's payload.
std::string two_exits_chunk(bool records_only) {
  nestrr_test::Sink sink;
  FixedClock clock;
  nestrr_test::Memory mem(2, 8192);
  nestrr_config cfg{};
  cfg.cpu_count = 2;
  cfg.ring_bytes = 8192;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = mem.data();
  cfg.memory_bytes = mem.size();
  cfg.write = nestrr_test::Sink::write;
  cfg.write_ctx = &sink;
  cfg.clock = FixedClock::read;
  cfg.clock_ctx = &clock;
  cfg.records_only = records_only;
  static nestrr_logger lg;
  EXPECT_TRUE(nestrr_logger_init(&lg, &cfg));
  clock.now = 1000;
  EXPECT_TRUE(nestrr_log_vm_exit(&lg, 1, 48, 0x181, 0xfff0, true));
  clock.now = 998;
  EXPECT_TRUE(nestrr_log_vm_exit(&lg, 1, 1, 0, 0xffe0, false));
  nestrr_logger_flush(&lg, 1);
  auto frames = nestrr_test::DecodeFrames(sink.bytes);
  EXPECT_EQ(frames.size(), 2u);  // header, chunk
  return frames.size() == 2 ? frames[1] : "";
}

// The two exits in columns (format 4), by hand from the schema's rules
// (ExitColumns), and by libprotobuf.
TEST(LoggerCodec, VmExitColumnBytes) {
  const std::string chunk = two_exits_chunk(false);
  // cpu=1, tsc_base=1000, exits { head: fd fe  (from_l2 | reason literal |
  // rip literal; then qualification same as the (absent) last of reason 1),
  // dt: 0, zz(-2) = 3, reason: 48, 1, rip: zz(0xfff0), zz(-0x10),
  // qualification: zz(0x181) }, order: [2].
  EXPECT_EQ(Hex(chunk),
            "08 01 18 e8 07 "
            "42 16 0a 02 fd fe 12 02 00 03 1a 02 30 01 22 04 e0 ff 07 1f 2a 02 82 06 "
            "4a 01 02");
  nestrr::v1::Packet p;
  p.set_cpu(1);
  p.set_tsc_base(1000);
  auto* x = p.mutable_exits();
  x->set_head(std::string("\xfd\xfe", 2));
  x->add_dt(0);
  x->add_dt(-2);
  x->add_reason(48);
  x->add_reason(1);
  x->add_rip(0xfff0);
  x->add_rip(-0x10);
  x->add_qualification(0x181);
  p.add_order(2);
  EXPECT_EQ(Hex(chunk), Hex(p.SerializeAsString()));
}

// The same exits as Records (config.records_only), by hand from the
// schema, and by libprotobuf.
TEST(LoggerCodec, VmExitChunkBytes) {
  const std::vector<std::string> frames = {"", two_exits_chunk(true)};
  // cpu=1, tsc_base=1000 (first_seq 0 omitted);
  // record { vm_exit { reason 48, rip_delta zz(0xfff0), qual 0x181, from_l2 } }
  // record { dt zz(-2), vm_exit { reason 1, rip_delta zz(-0x10) } }
  EXPECT_EQ(Hex(frames[1]),
            "08 01 18 e8 07 "
            "22 0d 12 0b 08 30 10 e0 ff 07 18 81 03 20 01 "
            "22 08 08 03 12 04 08 01 10 1f");
  nestrr::v1::Packet p;
  p.set_cpu(1);
  p.set_tsc_base(1000);
  auto* e = p.add_record()->mutable_vm_exit();
  e->set_reason(48);
  e->set_guest_rip_delta(0xfff0);
  e->set_qualification(0x181);
  e->set_from_l2(true);
  auto* r2 = p.add_record();
  r2->set_dt(-2);
  r2->mutable_vm_exit()->set_reason(1);
  r2->mutable_vm_exit()->set_guest_rip_delta(-0x10);
  EXPECT_EQ(Hex(frames[1]), Hex(p.SerializeAsString()));
}

}  // namespace
