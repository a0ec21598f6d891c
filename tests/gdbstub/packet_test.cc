// The wire layer byte by byte: framing, checksums, escapes, the bounds,
// and the packet table on a real recorded-state target.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "nestrr/gdbstub/connection.h"
#include "nestrr/gdbstub/packet.h"

namespace nestrr::gdbstub {
namespace {

using K = ReaderEvent::Kind;

std::vector<ReaderEvent> feed(PacketReader& r, std::string_view bytes) {
  std::vector<ReaderEvent> out;
  for (char c : bytes)
    if (auto e = r.feed(static_cast<uint8_t>(c))) out.push_back(std::move(*e));
  return out;
}

TEST(Packet, FramesWithChecksumAndEscapes) {
  EXPECT_EQ(frame_packet("OK"), "$OK#9a");
  EXPECT_EQ(frame_packet(""), "$#00");
  // '#', '$', '}' and '*' are escaped as '}' then the byte xor 0x20.
  EXPECT_EQ(frame_packet("a#b").substr(0, 6), "$a}\x03" "b#");
  EXPECT_EQ(frame_packet("*"), std::string("$}\x0a#") + "87");
}

TEST(Packet, ReaderRoundTripsEveryByte) {
  std::string payload;
  for (int i = 0; i < 256; ++i) payload.push_back(static_cast<char>(i));
  PacketReader r;
  auto ev = feed(r, frame_packet(payload));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kPacket);
  EXPECT_EQ(ev[0].payload, payload);
}

TEST(Packet, AcksInterruptAndNoiseBetweenPackets) {
  PacketReader r;
  auto ev = feed(r, std::string("+x-\x03", 4) + "$g#67");
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].kind, K::kAck);
  EXPECT_EQ(ev[1].kind, K::kNack);
  EXPECT_EQ(ev[2].kind, K::kInterrupt);
  EXPECT_EQ(ev[3].kind, K::kPacket);
  EXPECT_EQ(ev[3].payload, "g");
}

TEST(Packet, BadChecksumIsReportedNotDelivered) {
  PacketReader r;
  auto ev = feed(r, "$g#00$g#zz$g#67");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].kind, K::kBadChecksum);
  EXPECT_NE(ev[0].detail.find("checksum 00"), std::string::npos) << ev[0].detail;
  EXPECT_EQ(ev[1].kind, K::kBadChecksum);
  EXPECT_EQ(ev[2].kind, K::kPacket);
}

TEST(Packet, OversizedPacketIsDroppedAndTheNextOneRead) {
  PacketReader r(16);
  std::string big = "$" + std::string(40, 'm') + "#00";
  auto ev = feed(r, big + "$?#3f");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, K::kOversized);
  EXPECT_EQ(ev[1].kind, K::kPacket);
  EXPECT_EQ(ev[1].payload, "?");
}

TEST(Packet, RestartsOnDollarInsideAPacket) {
  PacketReader r;
  auto ev = feed(r, "$garbage$?#3f");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload, "?");
}

TEST(Packet, TrailingEscapeIsBad) {
  PacketReader r;
  // "a}" sums to 0x61 + 0x7d = 0xde.
  auto ev = feed(r, "$a}#de");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kBadChecksum);
  EXPECT_NE(ev[0].detail.find("escape"), std::string::npos);
}

TEST(Packet, Hex) {
  EXPECT_EQ(to_hex(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(from_hex("00ff10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(from_hex("0"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_EQ(hex_u64(0), "0");
  EXPECT_EQ(hex_u64(0x1f), "1f");
  EXPECT_EQ(parse_hex_u64("ffffffffffffffff"), ~0ull);
  EXPECT_FALSE(parse_hex_u64("10000000000000000"));
  EXPECT_FALSE(parse_hex_u64(""));
  EXPECT_EQ(hex_le(0x1234, 4), "34120000");
}

// A real socket pair: acks, a resend after '-', and a client that goes
// away in the middle of a packet.
TEST(Connection, AcksResendsAndVanishingClient) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Connection server(sv[0], sv[0]);
  std::string seen;
  std::thread client([&] {
    auto put = [&](std::string_view s) { ASSERT_EQ(::write(sv[1], s.data(), s.size()), (ssize_t)s.size()); };
    auto get = [&](size_t n) {
      std::string b(n, '\0');
      size_t got = 0;
      while (got < n) {
        ssize_t k = ::read(sv[1], b.data() + got, n - got);
        if (k <= 0) break;
        got += static_cast<size_t>(k);
      }
      b.resize(got);
      return b;
    };
    put("$g#00");          // bad checksum
    seen += get(1);        // '-'
    put("$?#3f");
    seen += get(1);        // '+'
    seen += get(6);        // "$OK#9a"
    put("-");              // ask for a resend
    seen += get(6);
    put("+");
    put("$m0,4#");         // vanishes mid-packet
    ::shutdown(sv[1], SHUT_WR);
  });
  auto p = server.read_packet();
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "?");
  EXPECT_TRUE(server.send("OK"));
  EXPECT_FALSE(server.read_packet());  // EOF inside the packet
  client.join();
  EXPECT_EQ(seen, "-+$OK#9a$OK#9a");
  EXPECT_EQ(server.counters().bad_checksums, 1u);
  EXPECT_EQ(server.counters().resends, 1u);
  ::close(sv[0]);
  ::close(sv[1]);
}

}  // namespace
}  // namespace nestrr::gdbstub
