// The whole path a log takes: the real logger on several threads (one per
// CPU, NMIs between them through mailboxes), a seeded noisy serial line,
// the tolerant reader and the merge. Nothing the noise did not hit may be
// lost, everything it hit must be counted, and causal order must hold.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/eventlog/noise.h"
#include "nestrr/eventlog/noise_truth.h"
#include "nestrr/logger.h"

namespace el = nestrr::eventlog;

namespace {

struct Line {
  std::mutex lock;
  std::string bytes;
};

void sink(void* ctx, const char* b, unsigned long n) {
  auto* line = static_cast<Line*>(ctx);
  std::lock_guard<std::mutex> g(line->lock);
  line->bytes.append(b, n);
}

struct LoggedRun {
  std::string stream;
  uint64_t nmis_sent = 0;
  uint64_t dropped = 0;
};

// `cpus` threads log `per_cpu` VM exits each; now and then one sends an
// NMI (token through the target's mailbox) which the target logs on its
// next step.
LoggedRun run_threads(uint32_t cpus, uint32_t per_cpu, uint64_t seed) {
  constexpr uint32_t kRing = 1 << 16;
  Line line;
  std::vector<unsigned char> mem(NESTRR_LOGGER_MEMORY_BYTES(cpus, kRing) + 64);
  nestrr_logger lg{};
  nestrr_config cfg{};
  cfg.cpu_count = cpus;
  cfg.ring_bytes = kRing;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = mem.data();
  cfg.memory_bytes = mem.size();
  cfg.write = sink;
  cfg.write_ctx = &line;
  EXPECT_TRUE(nestrr_logger_init(&lg, &cfg));

  std::vector<std::atomic<uint64_t>> mailbox(cpus * cpus);  // [target * cpus + source]
  std::atomic<uint64_t> sent{0};
  std::vector<std::thread> threads;
  std::atomic<uint32_t> running{cpus};
  for (uint32_t cpu = 0; cpu < cpus; cpu++) {
    threads.emplace_back([&, cpu] {
      std::mt19937_64 rng(seed * 131 + cpu);
      uint64_t next_token = 1;
      auto take_nmis = [&] {
        for (uint32_t src = 0; src < cpus; src++) {
          uint64_t tok = mailbox[cpu * cpus + src].exchange(0);
          if (tok) nestrr_log_nmi_received(&lg, cpu, src, tok, 0x1000 + cpu, 0);
        }
      };
      for (uint32_t i = 0; i < per_cpu; i++) {
        take_nmis();
        nestrr_log_vm_exit(&lg, cpu, rng() % 60, rng() % 4 ? 0 : rng(), 0xffff800000000000ull + (rng() % 4096),
                           rng() % 2);
        if (rng() % 50 == 0) {
          uint32_t target = (cpu + 1 + rng() % (cpus - 1)) % cpus;
          // One NMI in flight per (source, target): wait until taken.
          while (mailbox[target * cpus + cpu].load() != 0 && running.load() == cpus) std::this_thread::yield();
          if (mailbox[target * cpus + cpu].load() == 0) {
            nestrr_log_nmi_sent(&lg, cpu, target, next_token);
            mailbox[target * cpus + cpu].store(next_token++);
            sent++;
          }
        }
        if (i % 16 == 15) nestrr_logger_flush(&lg, cpu);
      }
      running--;
      // Keep taking NMIs until everyone is done, so no send stays unmatched.
      while (running.load() > 0) {
        take_nmis();
        std::this_thread::yield();
      }
      take_nmis();
      nestrr_logger_flush(&lg, cpu);
    });
  }
  for (auto& t : threads) t.join();
  nestrr_logger_finish(&lg);
  LoggedRun r;
  r.stream = std::move(line.bytes);
  r.nmis_sent = sent.load();
  for (uint32_t c = 0; c < cpus; c++) r.dropped += nestrr_logger_dropped(&lg, c);
  return r;
}

el::Log read(const std::string& s) {
  std::istringstream in(s);
  return el::read_log(in);
}

TEST(RoundTrip, CleanLineKeepsEveryRecordAndCausalOrder) {
  LoggedRun r = run_threads(4, 3000, 1);
  ASSERT_EQ(r.dropped, 0u);
  el::Log log = read(r.stream);
  EXPECT_TRUE(log.stats.clean());
  EXPECT_EQ(log.stats.records, 4u * 3000u + 2 * r.nmis_sent);
  el::Timeline t = el::merge(log);
  EXPECT_EQ(t.order.size(), log.stats.records);
  EXPECT_EQ(t.stats.nmi_edges, r.nmis_sent);
  EXPECT_EQ(t.stats.unmatched_nmi_sends, 0u);
  EXPECT_EQ(t.stats.unmatched_nmi_receives, 0u);
  EXPECT_TRUE(t.stats.violated.empty());
  EXPECT_EQ(t.stats.cycles_broken, 0u);
}

TEST(RoundTrip, NoisyLineLosesExactlyWhatTheNoiseHit) {
  uint64_t frames_hit = 0, records_lost = 0;
  for (uint64_t seed = 1; seed <= 8; seed++) {
    LoggedRun r = run_threads(3, 1500, seed);
    ASSERT_EQ(r.dropped, 0u);
    el::RunParts p = el::split_run(r.stream);  // noise between header and trailers
    el::NoiseRates rates;
    rates.drop = rates.flip = 3.0 / static_cast<double>(p.body.size());
    rates.insert_line = 2.0 / static_cast<double>(p.body.size());
    rates.crlf = seed % 2 == 0;
    el::NoiseResult noisy = el::NoisyChannel(seed, rates).apply(p.body);
    el::NoiseTruth truth = el::noise_truth(p.body, noisy.damaged);
    el::Log log = read(p.head + noisy.bytes + p.tail);
    el::TruthCheck check = el::check_against_truth(log, truth);
    for (const auto& problem : check.problems) ADD_FAILURE() << "seed " << seed << ": " << problem;
    EXPECT_GE(log.stats.frames_damaged_total() + truth.frames_hit_newline, truth.frames_hit) << "seed " << seed;
    // Merge never breaks a causal edge whose both ends arrived.
    el::Timeline t = el::merge(log);
    EXPECT_TRUE(t.stats.violated.empty()) << "seed " << seed;
    EXPECT_EQ(t.order.size(), log.stats.records);
    frames_hit += truth.frames_hit;
    records_lost += log.stats.records_lost_transport;
  }
  // The noise must actually have hit something, or this proves nothing.
  EXPECT_GT(frames_hit, 8u);
  EXPECT_GT(records_lost, 0u);
}

}  // namespace
