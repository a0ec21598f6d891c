// Reads back the stream an i386 build of the logger wrote (m32_producer.c,
// run by CTest as a fixture) and checks it as the NMI stress test does.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "frames.h"

namespace {

TEST(LoggerI386Stream, DecodesWithExactAccounting) {
  std::ifstream in(NESTRR_M32_STREAM);
  if (!in) GTEST_SKIP() << "run through ctest: the i386 producer writes " << NESTRR_M32_STREAM;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string stream = ss.str();
  unsigned long vm_stored = 0, vm_dropped = 0, nmi_calls = 0, nmi_stored = 0;
  const auto at = stream.rfind("m32 ");
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(std::sscanf(stream.c_str() + at, "m32 vm_stored=%lu vm_dropped=%lu nmi_calls=%lu nmi_stored=%lu",
                        &vm_stored, &vm_dropped, &nmi_calls, &nmi_stored),
            4);
  std::vector<nestrr::v1::Header> headers;
  auto cpus = nestrr_test::Reconstruct(nestrr_test::DecodePackets(stream), &headers);
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0].address_bits(), 32u);
  EXPECT_EQ(headers[0].description(), "i386");
  const auto& v = cpus[0];
  ASSERT_TRUE(v.has_trailer);
  uint64_t vm = 0, nmi = 0, lost = 0;
  int64_t last = -1;
  for (size_t i = 0; i < v.records.size(); ++i) {
    const auto& rec = v.records[i];
    ASSERT_EQ(rec.seq, i);
    const auto& r = rec.record;
    if (r.has_vm_exit()) {
      vm++;
      const uint64_t n = r.vm_exit().reason();
      ASSERT_GT(static_cast<int64_t>(n), last);
      last = static_cast<int64_t>(n);
      ASSERT_EQ(r.vm_exit().qualification(), n << 33 | n);
      ASSERT_EQ(static_cast<uint64_t>(r.vm_exit().guest_rip_delta()), 0xffffffff00000000ull + n * 4);
      ASSERT_EQ(r.vm_exit().from_l2(), (n & 1) != 0);
    } else if (r.has_nmi_received()) {
      nmi++;
      ASSERT_EQ(r.nmi_received().interrupted_rip(), 0xc0100000u);
    } else {
      ASSERT_TRUE(r.has_records_lost()) << r.ShortDebugString();
      lost += r.records_lost().count();
    }
  }
  EXPECT_EQ(vm, vm_stored);
  EXPECT_EQ(nmi, nmi_stored);
  EXPECT_GT(nmi, 100u);
  EXPECT_EQ(v.trailer.next_seq(), v.records.size());
  EXPECT_EQ(v.trailer.dropped(), vm_dropped + (nmi_calls - nmi_stored));
  EXPECT_EQ(lost, v.trailer.dropped());
}

}  // namespace
