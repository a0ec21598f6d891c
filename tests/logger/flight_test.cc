// Flight recorder: keeps the newest records, dumps them oldest first with
// the overwritten count, and never emits a torn record while a writer on
// another CPU overwrites the ring under the dump.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "frames.h"

namespace {

struct Clock {
  std::atomic<uint64_t> now{100};
  static uint64_t read(void* ctx) { return static_cast<Clock*>(ctx)->now.fetch_add(3); }
};

struct Flight {
  nestrr_test::Sink sink;
  nestrr_test::Memory mem;
  Clock clock;
  nestrr_logger lg{};
  Flight(uint32_t cpus, uint32_t ring) : mem(cpus, ring) {
    nestrr_config cfg{};
    cfg.cpu_count = cpus;
    cfg.ring_bytes = ring;
    cfg.mode = NESTRR_MODE_FLIGHT;
    cfg.memory = mem.data();
    cfg.memory_bytes = mem.size();
    cfg.write = nestrr_test::Sink::write;
    cfg.write_ctx = &sink;
    cfg.clock = Clock::read;
    cfg.clock_ctx = &clock;
    EXPECT_TRUE(nestrr_logger_init(&lg, &cfg));
  }
};

uint64_t Mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9e3779b97f4a7c15ull;
  return x ^ (x >> 29);
}

TEST(LoggerFlight, KeepsNewestOldestFirstAndCountsOverwrites) {
  auto* f = new Flight(2, 8192);
  constexpr uint64_t kLogged = 1000;
  for (uint64_t i = 0; i < kLogged; ++i) ASSERT_TRUE(nestrr_log_vm_exit(&f->lg, 1, 10, i, Mix(i), false));
  EXPECT_TRUE(f->sink.bytes.empty()) << "nothing is written before a dump";
  nestrr_logger_dump(&f->lg);

  std::vector<nestrr::v1::Header> headers;
  auto cpus = nestrr_test::Reconstruct(nestrr_test::DecodePackets(f->sink.bytes), &headers);
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0].sink(), nestrr::v1::Header::SINK_FLIGHT_RECORDER);
  EXPECT_TRUE(cpus[0].has_trailer);
  EXPECT_TRUE(cpus[0].records.empty());
  const auto& v = cpus[1];
  ASSERT_TRUE(v.has_trailer);
  // About a ring's worth of 48-byte slots, less the batch a full ring frees
  // at once (1/16 of it).
  ASSERT_GE(v.records.size(), (8192u - 8192u / 16u) / 48u - 2u);
  ASSERT_LE(v.records.size(), 8192u / 48u + 1u);
  // Oldest first, consecutive, ending with the newest VmExit, then the
  // RecordsLost the dump appended.
  const uint64_t first = v.records.front().seq;
  for (size_t i = 0; i + 1 < v.records.size(); ++i) {
    const auto& r = v.records[i];
    ASSERT_EQ(r.seq, first + i);
    ASSERT_EQ(r.record.vm_exit().qualification(), r.seq);
    ASSERT_EQ(static_cast<uint64_t>(r.record.vm_exit().guest_rip_delta()), Mix(r.seq));
    if (i) {
      ASSERT_GT(r.tsc, v.records[i - 1].tsc);
    }
  }
  EXPECT_EQ(v.records[v.records.size() - 2].seq, kLogged - 1);
  const auto& lost = v.records.back();
  ASSERT_TRUE(lost.record.has_records_lost());
  EXPECT_EQ(lost.seq, kLogged);
  EXPECT_EQ(lost.record.records_lost().cpu(), 1u);
  // Overwritten before the dump, plus what appending the RecordsLost pushed
  // out: every record older than the first kept one.
  const uint64_t reported = lost.record.records_lost().count();
  EXPECT_EQ(v.trailer.next_seq(), kLogged + 1);
  EXPECT_EQ(v.trailer.dropped(), first);
  EXPECT_LE(reported, first);
  EXPECT_GE(reported + 1, first);  // one 40-byte RecordsLost frees at most one slot

  // A second dump reports only what the first one's RecordsLost pushed out,
  // if anything.
  f->sink.bytes.clear();
  nestrr_logger_dump(&f->lg);
  auto again = nestrr_test::Reconstruct(nestrr_test::DecodePackets(f->sink.bytes));
  const auto& w = again[1];
  uint64_t total = 0, newer = 0;
  for (const auto& r : w.records) {
    if (r.record.has_records_lost() && r.seq > lost.seq) {
      total += r.record.records_lost().count();
      newer++;
    }
  }
  // (A full ring freed a batch of its oldest slots at once, so the first
  // RecordsLost may have found room without pushing anything out.)
  EXPECT_EQ(newer, v.trailer.dropped() > reported ? 1u : 0u);
  EXPECT_EQ(reported + total, v.trailer.dropped());
  EXPECT_EQ(w.trailer.dropped(), w.records.front().seq);
  delete f;
}

TEST(LoggerFlight, DumpWhileWritingNeverTearsRecords) {
  auto* f = new Flight(2, 8192);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> progress[2] = {0, 0};
  std::vector<std::thread> writers;
  for (uint32_t cpu = 0; cpu < 2; ++cpu) {
    writers.emplace_back([&, cpu] {
      unsigned char buf[200];
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        progress[cpu].store(i, std::memory_order_relaxed);
        (void)nestrr_log_vm_exit(&f->lg, cpu, static_cast<uint32_t>(i), i, Mix(i), i & 1);
        if (i % 5 == 0) {
          uint32_t n = static_cast<uint32_t>(Mix(i) % sizeof buf) + 1;
          for (uint32_t k = 0; k < n; ++k) buf[k] = static_cast<unsigned char>(Mix(i + k));
          (void)nestrr_log_memory(&f->lg, cpu, i, buf, n, "torn?");
        }
      }
    });
  }
  // Dump only once both rings have wrapped, so dumps race with overwrites.
  while (progress[0].load() < 2000 || progress[1].load() < 2000) std::this_thread::yield();
  int dumps = 0;
  for (; dumps < 300; ++dumps) nestrr_logger_dump(&f->lg);
  stop = true;
  for (auto& t : writers) t.join();

  // Split the output at each Header: one dump each.
  auto packets = nestrr_test::DecodePackets(f->sink.bytes);
  std::vector<std::vector<nestrr::v1::Packet>> per_dump;
  for (const auto& p : packets) {
    if (p.has_header()) per_dump.emplace_back();
    ASSERT_FALSE(per_dump.empty());
    per_dump.back().push_back(p);
  }
  ASSERT_EQ(per_dump.size(), static_cast<size_t>(dumps));
  uint64_t checked = 0;
  for (const auto& d : per_dump) {
    auto cpus = nestrr_test::Reconstruct(d);
    for (uint32_t cpu = 0; cpu < 2; ++cpu) {
      const auto& v = cpus[cpu];
      ASSERT_TRUE(v.has_trailer);
      for (size_t i = 0; i < v.records.size(); ++i) {
        const auto& r = v.records[i].record;
        if (i) {
          ASSERT_GT(v.records[i].seq, v.records[i - 1].seq);  // oldest first, gaps allowed
        }
        ASSERT_LT(v.records[i].seq, v.trailer.next_seq());
        if (r.has_vm_exit()) {
          const uint64_t q = r.vm_exit().qualification();
          ASSERT_EQ(static_cast<uint64_t>(r.vm_exit().guest_rip_delta()), Mix(q));
          ASSERT_EQ(r.vm_exit().reason(), static_cast<uint32_t>(q));
          ASSERT_EQ(r.vm_exit().from_l2(), (q & 1) != 0);
        } else if (r.has_memory_snapshot()) {
          const auto& m = r.memory_snapshot();
          ASSERT_EQ(m.label(), "torn?");
          ASSERT_EQ(m.data().size(), Mix(m.address()) % 200 + 1);
          for (size_t k = 0; k < m.data().size(); ++k)
            ASSERT_EQ(static_cast<unsigned char>(m.data()[k]),
                      static_cast<unsigned char>(Mix(m.address() + k)));
        } else {
          ASSERT_TRUE(r.has_records_lost()) << r.ShortDebugString();
        }
        checked++;
      }
    }
  }
  EXPECT_GT(checked, 1000u);
  delete f;
}

}  // namespace
