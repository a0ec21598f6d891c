// A seeded, realistic event mix for the benchmarks: mostly VM exits with a
// skewed reason distribution, guest RIPs from a few hot sites with
// occasional far jumps, TSC gaps of 1-20 us at 2.5 GHz, and a few NMIs,
// EPT flushes and VMX mode changes. Also the helpers that drive the real
// logger into a memory buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nestrr/logger.h"

namespace nestrr::bench {

inline constexpr uint64_t kTscHz = 2'500'000'000ull;

enum class Kind : uint8_t { kExit, kNmiSent, kNmiReceived, kFlush, kMode };

struct Ev {
  Kind kind = Kind::kExit;
  uint32_t cpu = 0;
  uint32_t reason = 0;  // exit reason, or target/source cpu for NMIs
  bool from_l2 = false;
  uint64_t qual = 0;
  uint64_t rip = 0;
  uint64_t tsc = 0;     // absolute, per CPU clock
  uint64_t token = 0;
};

// Intel SDM basic exit reasons and a plausible share of a nested workload.
struct ReasonShare {
  uint32_t reason;
  double share;
};
inline constexpr ReasonShare kReasons[] = {
    {48, 0.30},  // EPT violation
    {30, 0.18},  // I/O instruction
    {1, 0.14},   // external interrupt
    {10, 0.10},  // CPUID
    {31, 0.08},  // RDMSR
    {32, 0.07},  // WRMSR
    {18, 0.06},  // VMCALL
    {12, 0.04},  // HLT
    {49, 0.03},  // EPT misconfiguration
};

class Workload {
 public:
  explicit Workload(uint64_t seed, uint32_t cpus = 1) : rng_(seed), cpus_(cpus), tsc_(cpus) {
    for (uint32_t c = 0; c < cpus; ++c) tsc_[c] = 1'000'000'000ull + c * 12345ull;
    // Hot sites: a guest kernel's exit-prone instructions, a few KiB apart.
    uint64_t base = 0xffffffff81000000ull;
    for (int i = 0; i < 8; ++i) hot_.push_back(base + 0x1000 * i + (rng_() % 0x800));
    last_rip_.assign(cpus, hot_[0]);
  }

  // One VM exit on `cpu`.
  Ev exit(uint32_t cpu) {
    Ev e;
    e.kind = Kind::kExit;
    e.cpu = cpu;
    e.tsc = advance(cpu);
    e.reason = pick_reason();
    e.from_l2 = unit() < 0.6;
    switch (e.reason) {
      case 48:  // EPT violation: access bits, GPA valid, linear address valid
        e.qual = 0x180 | (1u << (rng_() % 3)) | ((rng_() % 8) << 3);
        break;
      case 30: {  // I/O: port << 16, size, direction
        static constexpr uint32_t ports[] = {0x3f8, 0x3fd, 0xcf8, 0xcfc, 0x70, 0x71, 0x60};
        e.qual = (uint64_t(ports[rng_() % 7]) << 16) | (rng_() % 2 ? 0x8 : 0) | (rng_() % 2 ? 3 : 0);
        break;
      }
      default:
        e.qual = 0;
    }
    // Mostly hot sites (the same one as last time now and then), sometimes
    // a far jump (user space or a module).
    double u = unit();
    uint64_t rip;
    if (u < 0.25) {
      rip = last_rip_[cpu];
    } else if (u < 0.95) {
      rip = hot_[rng_() % hot_.size()];
    } else if (u < 0.98) {
      rip = 0x00007f0000000000ull + (rng_() & 0xffffffffull);
    } else {
      rip = 0xffffffffc0000000ull + (rng_() & 0xffffffull);
    }
    last_rip_[cpu] = rip;
    e.rip = rip;
    return e;
  }

  // The next event of the mix on `cpu` (with `other` as NMI partner): ~98%
  // exits, then NMIs (sent on cpu, received on other), flushes, mode changes.
  void next(uint32_t cpu, uint32_t other, std::vector<Ev>& out) {
    double u = unit();
    if (u < 0.985 || cpus_ < 2) {
      if (u < 0.985) {
        out.push_back(exit(cpu));
        return;
      }
    }
    if (u < 0.990 && cpus_ >= 2) {
      Ev s;
      s.kind = Kind::kNmiSent;
      s.cpu = cpu;
      s.reason = other;
      s.token = ++token_;
      s.tsc = advance(cpu);
      out.push_back(s);
      Ev r;
      r.kind = Kind::kNmiReceived;
      r.cpu = other;
      r.reason = cpu;
      r.token = s.token;
      r.rip = last_rip_[other];
      tsc_[other] = std::max(tsc_[other], s.tsc + 1500);
      r.tsc = advance(other);
      out.push_back(r);
      return;
    }
    Ev e;
    e.cpu = cpu;
    e.tsc = advance(cpu);
    if (u < 0.996) {
      e.kind = Kind::kFlush;
      e.reason = 1 | 4;
    } else {
      e.kind = Kind::kMode;
      e.reason = unit() < 0.5 ? 1 : 2;
    }
    out.push_back(e);
  }

  double unit() { return double(rng_() >> 11) * (1.0 / 9007199254740992.0); }
  std::mt19937_64& rng() { return rng_; }

 private:
  uint64_t advance(uint32_t cpu) {
    // 1-20 us, skewed towards short gaps.
    double us = 1.0 + 19.0 * unit() * unit();
    tsc_[cpu] += uint64_t(us * (kTscHz / 1'000'000));
    return tsc_[cpu];
  }
  uint32_t pick_reason() {
    double u = unit(), acc = 0;
    for (const auto& r : kReasons) {
      acc += r.share;
      if (u < acc) return r.reason;
    }
    return kReasons[0].reason;
  }

  std::mt19937_64 rng_;
  uint32_t cpus_;
  std::vector<uint64_t> tsc_;
  std::vector<uint64_t> hot_;
  std::vector<uint64_t> last_rip_;
  uint64_t token_ = 0;
};

// How the logger encodes chunks: VM exits in columns (format 4) or as
// Records, and the unit of time deltas.
struct Encoding {
  bool records_only = false;
  uint32_t dt_shift = 0;
};

// A logger over heap memory whose clock is a variable the caller sets
// (simulated TSC), writing frames into a string.
class BufferLogger {
 public:
  BufferLogger(uint32_t cpus, uint32_t ring_bytes, nestrr_ring_mode mode, bool fake_clock,
               Encoding enc = {}) {
    mem_.reset(new uint64_t[NESTRR_LOGGER_MEMORY_BYTES(cpus, ring_bytes) / 8 + 1]);
    nestrr_config cfg{};
    cfg.cpu_count = cpus;
    cfg.ring_bytes = ring_bytes;
    cfg.mode = mode;
    cfg.memory = mem_.get();
    cfg.memory_bytes = NESTRR_LOGGER_MEMORY_BYTES(cpus, ring_bytes);
    cfg.write = &BufferLogger::write;
    cfg.write_ctx = this;
    cfg.tsc_hz = kTscHz;
    cfg.description = "bench";
    cfg.records_only = enc.records_only;
    cfg.dt_shift = enc.dt_shift;
    if (fake_clock) {
      cfg.clock = [](void* ctx) { return *static_cast<uint64_t*>(ctx); };
      cfg.clock_ctx = &now;
    }
    ok = nestrr_logger_init(&lg, &cfg);
  }
  BufferLogger(const BufferLogger&) = delete;

  // Logs one event with the clock set to its TSC.
  void log(const Ev& e) {
    now = e.tsc;
    switch (e.kind) {
      case Kind::kExit:
        nestrr_log_vm_exit(&lg, e.cpu, e.reason, e.qual, e.rip, e.from_l2);
        break;
      case Kind::kNmiSent:
        nestrr_log_nmi_sent(&lg, e.cpu, e.reason, e.token);
        break;
      case Kind::kNmiReceived:
        nestrr_log_nmi_received(&lg, e.cpu, e.reason, e.token, e.rip, 0);
        break;
      case Kind::kFlush:
        nestrr_log_ept_flush(&lg, e.cpu, e.reason, NESTRR_EPT_FLUSH_ORIGIN_QUIESCE_NMI);
        break;
      case Kind::kMode:
        nestrr_log_vmx_mode(&lg, e.cpu, e.reason == 1 ? 2 : 1, e.reason);
        break;
    }
  }

  static void write(void* ctx, const char* bytes, unsigned long n) {
    auto* self = static_cast<BufferLogger*>(ctx);
    self->out.append(bytes, n);
  }

  nestrr_logger lg{};
  bool ok = false;
  uint64_t now = 0;
  std::string out;

 private:
  std::unique_ptr<uint64_t[]> mem_;
};

// Events of `cpus` CPUs, interleaved in rough time order, `n` in total.
inline std::vector<Ev> make_mix(uint64_t seed, uint32_t cpus, size_t n) {
  Workload w(seed, cpus);
  std::vector<Ev> out;
  out.reserve(n + 2);
  while (out.size() < n) {
    uint32_t cpu = uint32_t(w.rng()() % cpus);
    uint32_t other = cpus > 1 ? (cpu + 1 + uint32_t(w.rng()() % (cpus - 1))) % cpus : cpu;
    w.next(cpu, other, out);
  }
  return out;
}

// The framed stream the real logger writes for `events` in stream mode,
// flushing each CPU every `flush_every` of its records.
inline std::string log_stream(const std::vector<Ev>& events, uint32_t cpus, uint32_t flush_every,
                              Encoding enc = {}) {
  BufferLogger bl(cpus, 256 * 1024, NESTRR_MODE_STREAM, true, enc);
  if (!bl.ok) return {};
  bl.out.reserve(events.size() * 24);
  std::vector<uint32_t> pending(cpus, 0);
  for (const Ev& e : events) {
    bl.log(e);
    if (++pending[e.cpu] >= flush_every) {
      nestrr_logger_flush(&bl.lg, e.cpu);
      pending[e.cpu] = 0;
    }
  }
  nestrr_logger_finish(&bl.lg);
  return std::move(bl.out);
}

}  // namespace nestrr::bench
