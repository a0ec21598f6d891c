// Loss at the end of a log: a stream cut at any byte counts the records of
// the frame it cut (naming the CPU and seq), marks the ends it cannot know,
// and never counts a record that arrived; CPUs the header declares that sent
// nothing are listed.
#include <gtest/gtest.h>

#include "nestrr.pb.h"
#include "nestrr/eventlog/chunk_events.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/logger.h"
#include "test_util.h"

namespace nestrr::eventlog {
namespace {

using namespace testing;

struct Written {
  std::string bytes;
  std::vector<WrittenFrame> frames;
};

// Two CPUs, four chunks of three records each, interleaved, then trailers.
Written two_cpus() {
  Written out;
  StreamWriter w([&](std::string_view b) { out.bytes.append(b); });
  w.header(header(2));
  for (uint64_t k = 0; k < 4; ++k)
    for (uint32_t cpu = 0; cpu < 2; ++cpu) w.chunk(cpu, 3 * k, 1000 * k + cpu, entries(3));
  w.trailer(0, 12);
  w.trailer(1, 12);
  out.frames = w.frames();
  return out;
}

const SeqGap* gap_of(const Log& log, uint32_t cpu) {
  for (const auto& g : log.gaps)
    if (g.cpu == cpu) return &g;
  return nullptr;
}

TEST(TailLoss, CutAtEveryByteCountsTheFrameItCut) {
  const Written w = two_cpus();
  size_t named = 0, chunk_cuts = 0;
  for (size_t cut = 0; cut < w.bytes.size(); ++cut) {
    SCOPED_TRACE("cut at byte " + std::to_string(cut));
    Log log = read_string(w.bytes.substr(0, cut));
    const WrittenFrame* f = nullptr;
    for (const auto& fr : w.frames)
      if (cut >= fr.offset + 2 && cut + 1 < fr.offset + fr.length) f = &fr;
    // Every record of a frame that arrived whole is kept (a frame that
    // lacks only its line end is whole).
    uint64_t whole = 0;
    for (const auto& fr : w.frames)
      if (fr.is_chunk && fr.offset + fr.length - 1 <= cut) whole += fr.records;
    EXPECT_EQ(log.event_count(), whole);
    if (!f) {
      // Cut between frames (or on a frame's "~" or its last byte): no
      // damage, no loss; the missing trailers are the only sign.
      EXPECT_TRUE(log.damage.empty());
      EXPECT_EQ(log.stats.records_lost_transport, 0u);
      EXPECT_TRUE(log.gaps.empty());
      continue;
    }
    ASSERT_EQ(log.damage.size(), 1u);
    EXPECT_EQ(log.damage[0].kind, DamageKind::kCut);
    EXPECT_EQ(log.damage[0].offset, f->offset);
    if (!f->is_chunk) {
      EXPECT_EQ(log.stats.records_lost_transport, 0u);
      for (const auto& g : log.gaps) EXPECT_EQ(g.count(), 0u) << describe(g);
      continue;
    }
    ++chunk_cuts;
    // The cut chunk's CPU has an open gap from its first missing seq.
    const SeqGap* g = gap_of(log, f->cpu);
    ASSERT_TRUE(g) << "no gap on cpu" << f->cpu;
    EXPECT_TRUE(g->open);
    EXPECT_EQ(g->from, f->first_seq);
    EXPECT_LE(g->to, f->first_seq + f->records);
    EXPECT_LE(log.stats.records_lost_transport, f->records);
    if (g->count() > 0) {
      ++named;
      // Its records were named: no other CPU is suspected.
      EXPECT_EQ(log.gaps.size(), 1u);
      const std::string text = describe(*g);
      EXPECT_NE(text.find("cpu" + std::to_string(f->cpu) + " from #" + std::to_string(f->first_seq)),
                std::string::npos) << text;
    }
    // Past the first bytes of the payload the prefix always names them.
    if (cut >= f->offset + 2 + 16) EXPECT_GT(g->count(), 0u);
  }
  EXPECT_GT(chunk_cuts, 100u);
  EXPECT_GT(named, chunk_cuts / 2);
}

// The hypervisor logger's format 4 (dt_shift before the records, VM exits
// in columns after them): one CPU, exits and other records, one chunk. A
// cut anywhere in the chunk's frame names its CPU and first seq, and past
// its first bytes counts lost records (the exits' count from the columns'
// head once that arrived); never more than the chunk had.
TEST(TailLoss, FormatFourCutChunkIsNamed) {
  struct Sink {
    std::string bytes;
    static void write(void* ctx, const char* p, unsigned long n) {
      static_cast<Sink*>(ctx)->bytes.append(p, n);
    }
  } sink;
  std::vector<uint64_t> mem(NESTRR_LOGGER_MEMORY_BYTES(1, 8192) / 8 + 1);
  uint64_t now = 1'000'000;
  nestrr_config cfg{};
  cfg.cpu_count = 1;
  cfg.ring_bytes = 8192;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = mem.data();
  cfg.memory_bytes = mem.size() * 8;
  cfg.write = Sink::write;
  cfg.write_ctx = &sink;
  cfg.clock = [](void* ctx) { return *static_cast<uint64_t*>(ctx) += 640; };
  cfg.clock_ctx = &now;
  cfg.dt_shift = 6;
  static nestrr_logger lg;
  ASSERT_TRUE(nestrr_logger_init(&lg, &cfg));
  const size_t chunk_at = sink.bytes.size();
  nestrr_log_vmx_mode(&lg, 0, 1, 2);
  for (uint32_t i = 0; i < 40; ++i) nestrr_log_vm_exit(&lg, 0, 10 + i % 3, 0, 0x1000 + 16 * (i % 5), i & 1);
  nestrr_logger_flush(&lg, 0);
  const size_t chunk_end = sink.bytes.size();
  ASSERT_EQ(sink.bytes.find("~N", chunk_at + 2), std::string::npos) << "one chunk frame";
  // What the chunk holds, read whole.
  const Log whole = read_string(sink.bytes);
  ASSERT_EQ(whole.event_count(), 41u);
  ASSERT_TRUE(whole.damage.empty());
  size_t counted = 0, full = 0;
  for (size_t cut = chunk_at + 2; cut + 1 < chunk_end; ++cut) {
    SCOPED_TRACE("cut at byte " + std::to_string(cut));
    const Log log = read_string(sink.bytes.substr(0, cut));
    EXPECT_EQ(log.event_count(), 0u);
    const SeqGap* g = gap_of(log, 0);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->from, 0u);
    EXPECT_LE(g->to, 41u);
    if (g->count() > 0) ++counted;
    if (g->count() == 41) ++full;
    // Past the packet's first fields (cpu, tsc_base, dt_shift: a dozen
    // bytes, 16 base64 characters) a record is always seen.
    if (cut >= chunk_at + 2 + 24) EXPECT_GT(g->count(), 0u);
  }
  EXPECT_GT(counted, (chunk_end - chunk_at) / 2);
  // Once the head of the exit columns arrived, every exit is counted.
  EXPECT_GT(full, 0u);
}

// The issue's case: a serial capture whose relay cut it mid-frame, with
// console text around the frames, reported loss 0. Now the lost records
// are counted and placed.
TEST(TailLoss, RelayCutMidFrameIsLoss) {
  std::string bytes;
  StreamWriter w([&](std::string_view b) { bytes.append(b); });
  w.header(header(2));
  w.text("XMHF: booting");
  w.chunk(0, 0, 10, entries(5));
  w.chunk(1, 0, 10, entries(5));
  w.text("XMHF: cpu1 up");
  const uint64_t at = w.bytes_written();
  w.chunk(1, 5, 90, entries(5));
  Log log = read_string(bytes.substr(0, at + 30));
  // Records started in the 21 payload bytes that arrived: at least one.
  EXPECT_GE(log.stats.records_lost_transport, 1u);
  EXPECT_LE(log.stats.records_lost_transport, 5u);
  ASSERT_EQ(log.gaps.size(), 1u);
  EXPECT_EQ(log.gaps[0].cpu, 1u);
  EXPECT_EQ(log.gaps[0].from, 5u);
  EXPECT_EQ(log.gaps[0].count(), log.stats.records_lost_transport);
  EXPECT_EQ(log.gaps[0].stream_offset, at);
  EXPECT_NE(loss_summary(log).find("cpu1 from #5 on"), std::string::npos) << loss_summary(log);
}

// Damage after a CPU's last record, with no trailer to say where it
// ended: the end is unknown, and said so; a CPU whose trailer came is not
// suspected.
TEST(TailLoss, DamageAfterTheLastRecordLeavesTheEndOpen) {
  std::string bytes;
  StreamWriter w([&](std::string_view b) { bytes.append(b); });
  w.header(header(3));
  w.chunk(0, 0, 10, entries(4));
  w.chunk(1, 0, 10, entries(4));
  w.trailer(1, 4);
  const uint64_t at = w.bytes_written();
  w.chunk(0, 4, 50, entries(4));
  bytes[at + 20] ^= 0x01;  // a flipped bit: CRC mismatch, the CPU unknown
  Log log = read_string(bytes);
  ASSERT_EQ(log.damage.size(), 1u);
  const SeqGap* g0 = gap_of(log, 0);
  ASSERT_TRUE(g0);
  EXPECT_TRUE(g0->open);
  EXPECT_EQ(g0->from, 4u);
  EXPECT_EQ(g0->count(), 0u);
  EXPECT_EQ(gap_of(log, 1), nullptr);
  // cpu2 never sent a record: all of it may be in the damage.
  const SeqGap* g2 = gap_of(log, 2);
  ASSERT_TRUE(g2);
  EXPECT_EQ(g2->from, 0u);
  EXPECT_EQ(silent_cpus(log), std::vector<uint32_t>{2});
}

// Without damage, a declared CPU that sent nothing is listed, not counted.
TEST(TailLoss, SilentCpuWithoutDamageIsListedNotLost) {
  std::ostringstream out;
  StreamWriter w(out);
  w.header(header(4));
  w.chunk(0, 0, 10, entries(2));
  w.trailer(0, 2);
  w.trailer(3, 0);
  Log log = read_string(out.str());
  EXPECT_TRUE(log.gaps.empty());
  EXPECT_EQ(silent_cpus(log), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_TRUE(loss_summary(log).empty());
}

}  // namespace
}  // namespace nestrr::eventlog
