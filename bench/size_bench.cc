// Bytes per event of the streaming encoding, produced by the real logger
// (stream mode, simulated TSC) on the realistic mix of workload.h, decoded
// with the FrameReader and libprotobuf and attributed field by field.
// Results are counters (the timing of these rows means nothing):
//   rec_*        mean bytes per VmExit record inside Packet.record:
//                rec_total (incl. the record's tag and length prefix),
//                rec_inner (without), and its parts rec_taglen, dt,
//                exit_taglen (VmExit submessage tag+len), reason, rip, qual, l2
//   framed_per_record   chunk-frame bytes on the line / records they carry
//   alt_*        what other encodings of the same records would cost
//                (computed sizes, not implemented): see bench/README.md
// Rows: /64 flushes every 64 records per CPU, /4096 lets frames fill up.
#include <benchmark/benchmark.h>
#include <google/protobuf/io/coded_stream.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "frames.h"
#include "nestrr.pb.h"
#include "workload.h"

namespace {

using google::protobuf::io::CodedOutputStream;
using nestrr::v1::Packet;
using nestrr::v1::Record;

uint64_t vsz(uint64_t v) { return CodedOutputStream::VarintSize64(v); }
uint64_t zz(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
uint64_t field(uint64_t v) { return v ? 1 + vsz(v) : 0; }  // 1-byte tag + varint, 0 omitted

struct Sizes {
  uint64_t exits = 0, records = 0, chunks = 0, frame_bytes = 0, payload_bytes = 0;
  uint64_t rec_total = 0, rec_inner = 0, rec_taglen = 0, dt = 0, exit_taglen = 0;
  uint64_t reason = 0, rip = 0, qual = 0, l2 = 0;
  uint64_t alt_packed = 0, alt_packed_dt64 = 0, alt_packed_dt64_ripcache = 0;
};

Sizes measure(uint32_t flush_every) {
  const auto events = nestrr::bench::make_mix(7, 2, 200'000);
  const std::string stream = nestrr::bench::log_stream(events, 2, flush_every);
  const auto frames = nestrr::bench::split_frames(stream);
  Sizes s;
  Packet p;
  for (size_t f = 0; f < frames.payloads.size(); ++f) {
    if (!p.ParseFromString(frames.payloads[f])) continue;
    if (p.record_size() == 0) continue;
    ++s.chunks;
    s.frame_bytes += frames.lengths[f];
    s.payload_bytes += frames.payloads[f].size();
    s.records += p.record_size();
    std::array<uint64_t, 8> cache{};  // recent RIPs, for the alt encoding
    uint64_t prev_rip = 0;
    for (const Record& r : p.record()) {
      if (!r.has_vm_exit()) continue;
      const auto& e = r.vm_exit();
      ++s.exits;
      const uint64_t inner = r.ByteSizeLong();
      const uint64_t exit_inner = e.ByteSizeLong();
      s.rec_inner += inner;
      s.rec_total += 1 + vsz(inner) + inner;
      s.rec_taglen += 1 + vsz(inner);
      s.dt += field(zz(r.dt()));
      s.exit_taglen += 1 + vsz(exit_inner);
      s.reason += field(e.reason());
      s.rip += field(zz(e.guest_rip_delta()));
      s.qual += field(e.qualification());
      s.l2 += field(e.from_l2());
      // Packed columns: no per-record tags or lengths; from_l2 folded into
      // the reason; the fields as bare varints.
      const uint64_t kind_reason = vsz(uint64_t(e.reason()) * 2 + e.from_l2());
      const uint64_t base = kind_reason + vsz(e.qualification());
      s.alt_packed += base + vsz(zz(r.dt())) + vsz(zz(e.guest_rip_delta()));
      // ...and dt in units of 64 ticks (25.6 ns at 2.5 GHz).
      const uint64_t dt64 = vsz(zz(r.dt() / 64));
      s.alt_packed_dt64 += base + dt64 + vsz(zz(e.guest_rip_delta()));
      // ...and the RIP as a 3-bit index into the last 8 distinct RIPs (in
      // the kind/reason byte, when reason*2+l2 < 16 after a reason table),
      // else a delta: counted as 0 extra bytes on a hit, 1 + delta on a miss.
      const uint64_t rip = prev_rip + uint64_t(e.guest_rip_delta());
      prev_rip = rip;
      bool hit = false;
      for (size_t k = 0; k < cache.size(); ++k) {
        if (cache[k] == rip) {
          hit = true;
          for (size_t j = k; j > 0; --j) cache[j] = cache[j - 1];
          cache[0] = rip;
          break;
        }
      }
      if (!hit) {
        for (size_t j = cache.size() - 1; j > 0; --j) cache[j] = cache[j - 1];
        cache[0] = rip;
      }
      s.alt_packed_dt64_ripcache +=
          1 /* kind+reason index (16 reasons)+l2+rip index */ + vsz(e.qualification()) + dt64 +
          (hit ? 0 : vsz(zz(e.guest_rip_delta())));
    }
  }
  return s;
}

void BM_BytesPerEvent(benchmark::State& state) {
  Sizes s;
  for (auto _ : state) s = measure(uint32_t(state.range(0)));
  const double n = double(s.exits);
  auto& c = state.counters;
  c["exits"] = n;
  c["records"] = double(s.records);
  c["chunks"] = double(s.chunks);
  c["rec_total"] = s.rec_total / n;
  c["rec_inner"] = s.rec_inner / n;
  c["rec_taglen"] = s.rec_taglen / n;
  c["dt"] = s.dt / n;
  c["exit_taglen"] = s.exit_taglen / n;
  c["reason"] = s.reason / n;
  c["rip"] = s.rip / n;
  c["qual"] = s.qual / n;
  c["l2"] = s.l2 / n;
  c["payload_per_record"] = double(s.payload_bytes) / double(s.records);
  c["framed_per_record"] = double(s.frame_bytes) / double(s.records);
  c["alt_packed"] = s.alt_packed / n;
  c["alt_packed_dt64"] = s.alt_packed_dt64 / n;
  c["alt_packed_dt64_ripcache"] = s.alt_packed_dt64_ripcache / n;
}
BENCHMARK(BM_BytesPerEvent)->Arg(64)->Arg(4096)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
