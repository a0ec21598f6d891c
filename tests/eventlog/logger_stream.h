// Logs written by the real logger for the eventlog tests: a seeded mix of
// records on several CPUs, in stream or flight-recorder mode.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "nestrr/logger.h"

namespace nestrr::eventlog {

struct LoggerSink {
  std::string bytes;
  static void write(void* ctx, const char* p, unsigned long n) {
    static_cast<LoggerSink*>(ctx)->bytes.append(p, n);
  }
};

struct LoggerMix {
  uint32_t dt_shift = 0;
  bool records_only = false;
  bool backwards = true;   // now and then a record older than the one before
  bool causal = false;     // add matched NMIs, quiesces with EPT01 changes, assertions
  bool flight = false;     // flight recorder: only the newest records, dumped at the end
  uint32_t ring_bytes = 64 * 1024;
};

// The real logger, `cpus` CPUs, a seeded mix: mostly VM exits from a few
// RIPs and reasons, with NMIs, flushes, mode changes and lock acquisitions
// among them; time moving on by random steps, with `backwards`, now and
// then backwards (a record from an NMI inside another log call).
inline std::string logger_stream(uint32_t cpus, int records, uint32_t seed, const LoggerMix& mix) {
  LoggerSink sink;
  std::vector<uint64_t> mem(NESTRR_LOGGER_MEMORY_BYTES(cpus, mix.ring_bytes) / 8 + 1);
  uint64_t now = 1'000'000;
  nestrr_config cfg{};
  cfg.cpu_count = cpus;
  cfg.ring_bytes = mix.ring_bytes;
  cfg.mode = mix.flight ? NESTRR_MODE_FLIGHT : NESTRR_MODE_STREAM;
  cfg.memory = mem.data();
  cfg.memory_bytes = mem.size() * 8;
  cfg.write = LoggerSink::write;
  cfg.write_ctx = &sink;
  cfg.clock = [](void* ctx) { return *static_cast<uint64_t*>(ctx); };
  cfg.clock_ctx = &now;
  cfg.dt_shift = mix.dt_shift;
  cfg.records_only = mix.records_only;
  static nestrr_logger lg;
  EXPECT_TRUE(nestrr_logger_init(&lg, &cfg));
  std::mt19937_64 rng(seed);
  const uint64_t rips[] = {0xffffffff81001000, 0xffffffff81002010, 0xffffffff81003020,
                           0xffffffff81004030, 0xffffffff81005040, 0xffffffff81006050,
                           0xffffffff81007060, 0xffffffff81008070, 0xffffffff81009080};
  const uint32_t reasons[] = {48, 30, 1, 10, 31, 32, 18, 12, 49, 7};
  uint64_t generation = 0;
  for (int i = 0; i < records; ++i) {
    const uint32_t cpu = static_cast<uint32_t>(rng() % cpus);
    now += mix.backwards && rng() % 8 == 0 ? static_cast<uint64_t>(-static_cast<int64_t>(rng() % 500))
                                           : rng() % 50'000;
    if (mix.causal && rng() % 50 == 0) {
      // What one EPT01 change under quiesce logs: begin, an NMI to each
      // other CPU, their receipts and acks, the change, the end.
      const uint64_t gen = ++generation;
      nestrr_log_quiesce_begin(&lg, cpu, gen);
      for (uint32_t c = 0; c < cpus; ++c) {
        if (c == cpu) continue;
        const uint64_t token = gen * 64 + c;
        nestrr_log_nmi_sent(&lg, cpu, c, token);
        now += 100;
        if (rng() % 16) nestrr_log_nmi_received(&lg, c, cpu, token, rips[c % 9], gen);
        nestrr_log_quiesce_ack(&lg, c, cpu, gen);
      }
      nestrr_log_ept01_change(&lg, cpu, 0x1000 * (rng() % 64), 0x1000, 0x200000 + 0x1000 * i, 7);
      nestrr_log_quiesce_end(&lg, cpu, gen);
      if (rng() % 8 == 0) {
        nestrr_regs regs{};
        regs.rip = rips[rng() % 9];
        const uint64_t frames[] = {rips[1], rips[2]};
        nestrr_log_assertion(&lg, cpu, "cpu_has_current_vmcs12(vcpu)", "vmx.c", 75, &regs, frames, 2, 0,
                             nullptr, 0);
      }
      continue;
    }
    switch (rng() % 40) {
      case 0: nestrr_log_nmi_sent(&lg, cpu, (cpu + 1) % cpus, i); break;
      case 1: nestrr_log_nmi_received(&lg, cpu, (cpu + 1) % cpus, i, rips[rng() % 9], i); break;
      case 2: nestrr_log_ept_flush(&lg, cpu, 1, 1); break;
      case 3: nestrr_log_vmx_mode(&lg, cpu, 1, 2); break;
      case 4: nestrr_log_lock_acquired(&lg, cpu, 1, i, i / 4); break;
      default: {
        const uint64_t rip = rng() % 20 == 0 ? rng() : rips[rng() % 9];
        const uint32_t reason = reasons[rng() % 10];
        const uint64_t qual = reason == 48 ? 0x180 | (rng() % 8) : reason == 30 ? (rng() % 4) << 16 : 0;
        nestrr_log_vm_exit(&lg, cpu, reason, qual, rip, rng() % 2);
      }
    }
    if (!mix.flight && rng() % 97 == 0) nestrr_logger_flush(&lg, cpu);
  }
  if (mix.flight) {
    nestrr_logger_dump(&lg);
  } else {
    nestrr_logger_finish(&lg);
  }
  return sink.bytes;
}

inline std::string logger_stream(uint32_t cpus, int records, uint32_t dt_shift, bool records_only,
                                 uint32_t seed, bool backwards = true) {
  LoggerMix mix;
  mix.dt_shift = dt_shift;
  mix.records_only = records_only;
  mix.backwards = backwards;
  return logger_stream(cpus, records, seed, mix);
}

}  // namespace nestrr::eventlog
