// Test helpers: frame decoding and record reconstruction (see frames.h).
#include "frames.h"

#include <gtest/gtest.h>

#include "nestrr/eventlog/chunk_events.h"
#include "nestrr/frame.h"

namespace nestrr_test {

std::vector<std::string> DecodeFrames(const std::string& stream) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = stream.find("~N", pos)) != std::string::npos) {
    size_t end = stream.find('\n', pos);
    if (end == std::string::npos) {
      ADD_FAILURE() << "frame at " << pos << " is cut";
      break;
    }
    std::string bytes;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = pos + 2; i < end; ++i) {
      int v = nestrr_base64_value(static_cast<unsigned char>(stream[i]));
      if (v < 0) {
        ADD_FAILURE() << "bad base64 at " << i;
        break;
      }
      acc = (acc << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push_back(static_cast<char>((acc >> bits) & 0xffu));
      }
    }
    if (bytes.size() < NESTRR_FRAME_CRC_BYTES) {
      ADD_FAILURE() << "frame at " << pos << " too short";
    } else {
      size_t n = bytes.size() - NESTRR_FRAME_CRC_BYTES;
      uint32_t want = 0;
      for (int k = 3; k >= 0; --k) want = (want << 8) | static_cast<unsigned char>(bytes[n + k]);
      EXPECT_EQ(nestrr_crc32(0, bytes.data(), n), want) << "CRC of frame at " << pos;
      EXPECT_LE(n, NESTRR_FRAME_MAX_PAYLOAD);
      out.push_back(bytes.substr(0, n));
    }
    pos = end + 1;
  }
  return out;
}

std::vector<nestrr::v1::Packet> DecodePackets(const std::string& stream) {
  std::vector<nestrr::v1::Packet> out;
  for (const auto& payload : DecodeFrames(stream)) {
    nestrr::v1::Packet p;
    EXPECT_TRUE(p.ParseFromString(payload)) << "packet " << out.size();
    out.push_back(p);
  }
  return out;
}

std::map<uint32_t, CpuView> Reconstruct(const std::vector<nestrr::v1::Packet>& packets,
                                        std::vector<nestrr::v1::Header>* headers) {
  std::map<uint32_t, CpuView> cpus;
  for (const auto& p : packets) {
    if (p.has_header()) {
      if (headers) headers->push_back(p.header());
      continue;
    }
    if (p.has_trailer()) {
      auto& v = cpus[p.trailer().cpu()];
      v.has_trailer = true;
      v.trailer = p.trailer();
      continue;
    }
    auto& v = cpus[p.cpu()];
    v.chunk_sizes.push_back(nestrr::eventlog::chunk_records(p));
    nestrr::v1::Packet chunk = p;
    std::string why;
    const auto last = nestrr::eventlog::take_chunk_events(chunk, 0, [&](nestrr::eventlog::Event&& e) {
      Rec rec;
      rec.seq = e.seq;
      rec.tsc = e.tsc;
      rec.record = std::move(e.record);
      rec.record.set_dt(0);
      if (rec.record.has_vm_exit())
        rec.record.mutable_vm_exit()->set_guest_rip_delta(static_cast<int64_t>(e.guest_rip));
      v.records.push_back(std::move(rec));
    }, &why);
    EXPECT_TRUE(last.has_value()) << "chunk of cpu" << p.cpu() << ": " << why;
  }
  return cpus;
}

}  // namespace nestrr_test
