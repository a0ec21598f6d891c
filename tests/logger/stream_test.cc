// Stream sink behaviour: a full ring drops and reports the exact count,
// large flushes split into frame-sized chunks, bad input is refused.
#include <gtest/gtest.h>

#include <vector>

#include "frames.h"

namespace {

struct StreamLogger {
  nestrr_test::Sink sink;
  nestrr_test::Memory mem;
  nestrr_logger lg{};
  StreamLogger(uint32_t cpus, uint32_t ring, nestrr_ring_mode mode = NESTRR_MODE_STREAM)
      : mem(cpus, ring) {
    nestrr_config cfg{};
    cfg.cpu_count = cpus;
    cfg.ring_bytes = ring;
    cfg.mode = mode;
    cfg.memory = mem.data();
    cfg.memory_bytes = mem.size();
    cfg.write = nestrr_test::Sink::write;
    cfg.write_ctx = &sink;
    EXPECT_TRUE(nestrr_logger_init(&lg, &cfg));
  }
};

TEST(LoggerStream, FullRingReportsExactLoss) {
  auto* s = new StreamLogger(1, 8192);
  uint64_t stored = 0, dropped = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    if (nestrr_log_vm_exit(&s->lg, 0, 1, i, 0x1000 + i, false))
      stored++;
    else
      dropped++;
  }
  ASSERT_GT(dropped, 0u);
  ASSERT_EQ(stored, 8192u / 48u);  // 48-byte VmExit slots, no padding at 8 KiB
  EXPECT_EQ(nestrr_logger_dropped(&s->lg, 0), dropped);
  nestrr_logger_flush(&s->lg, 0);
  for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(nestrr_log_vm_exit(&s->lg, 0, 2, 5000 + i, 0, true));
  nestrr_logger_finish(&s->lg);

  auto cpus = nestrr_test::Reconstruct(nestrr_test::DecodePackets(s->sink.bytes));
  const auto& v = cpus[0];
  ASSERT_EQ(v.records.size(), stored + 1 + 5);
  for (uint64_t i = 0; i < stored; ++i) {
    ASSERT_TRUE(v.records[i].record.has_vm_exit());
    EXPECT_EQ(v.records[i].record.vm_exit().qualification(), i);  // the first ones were kept
  }
  const auto& lost = v.records[stored];
  ASSERT_TRUE(lost.record.has_records_lost());
  EXPECT_EQ(lost.record.records_lost().count(), dropped);
  EXPECT_EQ(lost.record.records_lost().cpu(), 0u);
  EXPECT_EQ(lost.seq, stored);
  EXPECT_EQ(v.records.back().record.vm_exit().qualification(), 5004u);
  ASSERT_TRUE(v.has_trailer);
  EXPECT_EQ(v.trailer.next_seq(), stored + 6);
  EXPECT_EQ(v.trailer.dropped(), dropped);
  delete s;
}

// nestrr_logger_room: what a caller that must not lose a record waits on.
TEST(LoggerStream, RoomShrinksWithRecordsAndComesBackWithTheDrain) {
  StreamLogger s(2, 8192);
  EXPECT_EQ(nestrr_logger_room(&s.lg, 0), 8192u);
  ASSERT_TRUE(nestrr_log_vm_exit(&s.lg, 0, 1, 0, 0x1000, false));
  EXPECT_EQ(nestrr_logger_room(&s.lg, 0), 8192u - 48u);  // one 48-byte VmExit slot
  EXPECT_EQ(nestrr_logger_room(&s.lg, 1), 8192u);        // per CPU
  while (nestrr_log_vm_exit(&s.lg, 0, 1, 0, 0x1000, false)) {
  }
  EXPECT_LT(nestrr_logger_room(&s.lg, 0), 48u);  // full: the next record was dropped
  nestrr_logger_flush(&s.lg, 0);
  // The drain frees everything; the RecordsLost it appended is drained too.
  EXPECT_EQ(nestrr_logger_room(&s.lg, 0), 8192u);
  EXPECT_EQ(nestrr_logger_room(&s.lg, 7), 0u);  // no such CPU
}

TEST(LoggerStream, ChunksFitFramesAndRestartDeltas) {
  auto* s = new StreamLogger(1, 64 * 1024);
  for (uint64_t i = 0; i < 1000; ++i)
    ASSERT_TRUE(nestrr_log_vm_exit(&s->lg, 0, 30, i, 0xffffffff80000000ull + 16 * i, true));
  nestrr_logger_flush(&s->lg, 0);
  auto packets = nestrr_test::DecodePackets(s->sink.bytes);
  uint64_t next = 0;
  size_t chunks = 0;
  for (const auto& p : packets) {
    if (p.has_header()) continue;
    // Exits go to columns: one head byte each.
    ASSERT_EQ(p.record_size(), 0);
    ASSERT_GT(p.exits().head().size(), 0u);
    EXPECT_EQ(p.first_seq(), next);
    // Each chunk stands alone: its first exit's RIP is a literal against
    // 0 (head bits 5-7 = 7), i.e. absolute, and its first dt is 0.
    EXPECT_EQ(static_cast<uint8_t>(p.exits().head()[0]) >> 5, 7u);
    ASSERT_GT(p.exits().rip_size(), 0);
    EXPECT_EQ(static_cast<uint64_t>(p.exits().rip(0)), 0xffffffff80000000ull + 16 * next);
    EXPECT_EQ(p.exits().dt(0), 0);
    next += p.exits().head().size();
    chunks++;
  }
  EXPECT_EQ(next, 1000u);
  EXPECT_GT(chunks, 1u);
  delete s;
}

TEST(LoggerStream, RepeatsHeaderForLateReaders) {
  nestrr_test::Sink sink;
  nestrr_test::Memory mem(1, 64 * 1024);
  nestrr_config cfg{};
  cfg.cpu_count = 1;
  cfg.ring_bytes = 64 * 1024;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = mem.data();
  cfg.memory_bytes = mem.size();
  cfg.write = nestrr_test::Sink::write;
  cfg.write_ctx = &sink;
  cfg.header_every_frames = 3;
  static nestrr_logger lg;
  ASSERT_TRUE(nestrr_logger_init(&lg, &cfg));
  for (int f = 0; f < 7; ++f) {
    ASSERT_TRUE(nestrr_log_vm_exit(&lg, 0, 1, 0, 0, false));
    nestrr_logger_flush(&lg, 0);  // one chunk frame each
  }
  auto packets = nestrr_test::DecodePackets(sink.bytes);
  std::string kinds;
  for (const auto& p : packets) kinds += p.has_header() ? 'H' : 'c';
  EXPECT_EQ(kinds, "HcccHcccHc");
}

TEST(LoggerStream, RefusesBadCpuAndBadConfig) {
  auto* s = new StreamLogger(2, 8192);
  EXPECT_FALSE(nestrr_log_vm_exit(&s->lg, 2, 1, 0, 0, false));
  EXPECT_FALSE(nestrr_log_vm_exit(&s->lg, NESTRR_CPU_UNKNOWN, 1, 0, 0, false));
  // Too many VMCS02 fields: the first NESTRR_VMCS02_FIELDS_MAX are kept.
  std::vector<nestrr_gpa_field> many(NESTRR_VMCS02_FIELDS_MAX + 3, nestrr_gpa_field{0x2000, 0, 1, 2});
  EXPECT_FALSE(nestrr_log_vmcs02_translation(&s->lg, 0, many.data(), static_cast<uint32_t>(many.size())));
  nestrr_logger_flush(&s->lg, 0);
  auto cpus = nestrr_test::Reconstruct(nestrr_test::DecodePackets(s->sink.bytes));
  ASSERT_EQ(cpus[0].records.size(), 1u);
  EXPECT_EQ(cpus[0].records[0].record.vmcs02_translation().field_size(),
            static_cast<int>(NESTRR_VMCS02_FIELDS_MAX));
  nestrr_logger lg{};
  nestrr_config cfg{};
  cfg.cpu_count = 1;
  cfg.ring_bytes = 5000;  // not a power of two
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = s->mem.data();
  cfg.memory_bytes = s->mem.size();
  EXPECT_FALSE(nestrr_logger_init(&lg, &cfg));
  cfg.ring_bytes = 8192;
  cfg.memory_bytes = 100;  // too small
  EXPECT_FALSE(nestrr_logger_init(&lg, &cfg));
  delete s;
}

}  // namespace

TEST(LoggerStream, HeaderCarriesScenario) {
  nestrr_test::Sink sink;
  nestrr_test::Memory mem(2, 8192);
  const char* workloads[] = {"l1", "pal"};
  const char* options[] = {"widen=vmxon:2000", ""};
  nestrr_scenario sc{};
  sc.variant = "vmxon-two-flags";
  sc.seed = 42;
  sc.cpu_workload = workloads;
  sc.cpu_workload_count = 2;
  sc.iterations = 1000;
  sc.option = options;
  sc.option_count = 2;
  sc.origin = "record";
  nestrr_config cfg{};
  cfg.cpu_count = 2;
  cfg.ring_bytes = 8192;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = mem.data();
  cfg.memory_bytes = mem.size();
  cfg.write = nestrr_test::Sink::write;
  cfg.write_ctx = &sink;
  cfg.scenario = &sc;
  nestrr_logger lg{};
  ASSERT_TRUE(nestrr_logger_init(&lg, &cfg));
  std::vector<nestrr::v1::Header> headers;
  nestrr_test::Reconstruct(nestrr_test::DecodePackets(sink.bytes), &headers);
  ASSERT_EQ(headers.size(), 1u);
  ASSERT_TRUE(headers[0].has_scenario());
  const auto& s = headers[0].scenario();
  EXPECT_EQ(s.variant(), "vmxon-two-flags");
  EXPECT_EQ(s.seed(), 42u);
  ASSERT_EQ(s.cpu_workload_size(), 2);
  EXPECT_EQ(s.cpu_workload(1), "pal");
  EXPECT_EQ(s.iterations(), 1000u);
  ASSERT_EQ(s.option_size(), 2);  // the empty option keeps its place
  EXPECT_EQ(s.option(0), "widen=vmxon:2000");
  EXPECT_EQ(s.option(1), "");
  EXPECT_EQ(s.origin(), "record");
}

TEST(LoggerStream, HeaderWithoutScenario) {
  StreamLogger s(1, 8192);
  std::vector<nestrr::v1::Header> headers;
  nestrr_test::Reconstruct(nestrr_test::DecodePackets(s.sink.bytes), &headers);
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_FALSE(headers[0].has_scenario());
}
