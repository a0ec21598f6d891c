// Bytes per event of the streaming encoding, produced by the real logger
// (stream mode, simulated TSC) on the realistic mix of workload.h, decoded
// with the FrameReader and libprotobuf and attributed part by part.
// Results are counters (the timing of these rows means nothing). Rows:
//   encoding 0  format 4: VM exits in columns, dt in ticks
//   encoding 1  format 4 with dt_shift 6 (64-tick units), as `nestrr record`
//               and the testbox write
//   encoding 2  VM exits as Records, one message each (the format 3 layout;
//               config.records_only)
// and flush every 64 records per CPU or 4096 (frames fill up).
// Counters:
//   exit_bytes           bytes per VM exit: its share of the columns
//                        (columns) or its Packet.record element (records)
//   head, dt, reason, rip, qual   the columns' parts, per exit
//   payload_per_record   chunk payload bytes / records (all kinds, with the
//                        chunk's own fields)
//   framed_per_record    chunk-frame bytes on the line / records
#include <benchmark/benchmark.h>
#include <google/protobuf/io/coded_stream.h>

#include <cstdint>
#include <string>

#include "frames.h"
#include "nestrr.pb.h"
#include "nestrr/eventlog/chunk_events.h"
#include "workload.h"

namespace {

using google::protobuf::io::CodedOutputStream;
using nestrr::v1::Packet;

uint64_t vsz(uint64_t v) { return CodedOutputStream::VarintSize64(v); }
uint64_t field(uint64_t len) { return len ? 1 + vsz(len) + len : 0; }  // tag, length, bytes

struct Sizes {
  uint64_t exits = 0, records = 0, chunks = 0, frame_bytes = 0, payload_bytes = 0;
  uint64_t exit_bytes = 0, head = 0, dt = 0, reason = 0, rip = 0, qual = 0;
};

// Bytes of a packed column on the wire: its field's tag, length, values.
template <class Repeated, class Size>
uint64_t packed(const Repeated& values, Size size) {
  uint64_t n = 0;
  for (auto v : values) n += size(v);
  return field(n);
}

Sizes measure(uint32_t flush_every, nestrr::bench::Encoding enc) {
  const auto events = nestrr::bench::make_mix(7, 2, 200'000);
  const std::string stream = nestrr::bench::log_stream(events, 2, flush_every, enc);
  const auto frames = nestrr::bench::split_frames(stream);
  Sizes s;
  Packet p;
  auto zz = [](int64_t v) { return vsz((uint64_t(v) << 1) ^ uint64_t(v >> 63)); };
  for (size_t f = 0; f < frames.payloads.size(); ++f) {
    if (!p.ParseFromString(frames.payloads[f])) continue;
    const uint64_t records = nestrr::eventlog::chunk_records(p);
    if (records == 0) continue;
    ++s.chunks;
    s.frame_bytes += frames.lengths[f];
    s.payload_bytes += frames.payloads[f].size();
    s.records += records;
    const auto& x = p.exits();
    s.exits += x.head().size();
    s.head += field(x.head().size());
    s.dt += packed(x.dt(), zz);
    s.reason += packed(x.reason(), [](uint32_t v) { return vsz(v); });
    s.rip += packed(x.rip(), zz);
    s.qual += packed(x.qualification(), zz);
    if (x.head().size()) s.exit_bytes += field(x.ByteSizeLong());
    for (const auto& r : p.record()) {
      if (!r.has_vm_exit()) continue;
      ++s.exits;
      s.exit_bytes += field(r.ByteSizeLong());
    }
  }
  return s;
}

void BM_BytesPerEvent(benchmark::State& state) {
  nestrr::bench::Encoding enc;
  enc.dt_shift = state.range(1) == 1 ? 6 : 0;
  enc.records_only = state.range(1) == 2;
  Sizes s;
  for (auto _ : state) s = measure(uint32_t(state.range(0)), enc);
  const double n = double(s.exits);
  auto& c = state.counters;
  c["exits"] = n;
  c["records"] = double(s.records);
  c["chunks"] = double(s.chunks);
  c["exit_bytes"] = s.exit_bytes / n;
  c["head"] = s.head / n;
  c["dt"] = s.dt / n;
  c["reason"] = s.reason / n;
  c["rip"] = s.rip / n;
  c["qual"] = s.qual / n;
  c["payload_per_record"] = double(s.payload_bytes) / double(s.records);
  c["framed_per_record"] = double(s.frame_bytes) / double(s.records);
}
BENCHMARK(BM_BytesPerEvent)
    ->ArgsProduct({{64, 4096}, {0, 1, 2}})
    ->ArgNames({"flush", "encoding"})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
