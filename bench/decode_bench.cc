// Decode + merge throughput on one core, events/s (items_per_second), over
// one log of ~1M events of 8 CPUs written by the real logger. Rows:
//   BM_ParsePayloads    baseline: libprotobuf Packet::ParseFromArray of every
//                       frame payload, unframed up front (one reused Packet)
//   BM_FramesAndParse   FrameReader (base64 + CRC) + the same ParseFromArray
//   BM_ReadLog          eventlog::read_log (frames, packets, events, loss
//                       accounting, sort)
//   BM_ReadLogMerge     read_log + merge (the whole path `nestrr dump` takes)
//   BM_ScanPackets      scan_packet alone over the unframed payloads
//   BM_ScanMerge        eventlog::LogScanner: frames, packets walked on the
//                       wire (no message per record), VM exits from their
//                       columns, and the streaming k-way merge by TSC
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "frames.h"
#include "nestrr.pb.h"
#include "nestrr/eventlog/chunk_events.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/eventlog/scan.h"
#include "workload.h"

namespace {

constexpr uint32_t kCpus = 8;
constexpr size_t kEvents = 1'000'000;

struct Input {
  std::string stream;
  std::vector<std::string> payloads;
  uint64_t records = 0;
};

const Input& input() {
  static const Input in = [] {
    Input in;
    const auto events = nestrr::bench::make_mix(11, kCpus, kEvents);
    in.stream = nestrr::bench::log_stream(events, kCpus, 256);
    in.payloads = nestrr::bench::split_frames(in.stream).payloads;
    nestrr::v1::Packet p;
    for (const auto& pl : in.payloads)
      if (p.ParseFromString(pl)) in.records += nestrr::eventlog::chunk_records(p);
    return in;
  }();
  return in;
}

// An istream over the stream's bytes where they lie: an istringstream
// would copy the whole stream into itself on every iteration, a cost of
// the harness, not of reading (the readers still copy what they read out
// of the stream, as from a file).
struct BytesIn : std::streambuf, std::istream {
  explicit BytesIn(const std::string& bytes) : std::istream(this) {
    char* p = const_cast<char*>(bytes.data());  // only read
    setg(p, p, p + bytes.size());
  }
};

void BM_ParsePayloads(benchmark::State& state) {
  const Input& in = input();
  nestrr::v1::Packet p;
  uint64_t records = 0;
  for (auto _ : state) {
    records = 0;
    for (const auto& pl : in.payloads) {
      if (p.ParseFromArray(pl.data(), int(pl.size()))) records += nestrr::eventlog::chunk_records(p);
    }
    benchmark::DoNotOptimize(records);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * in.records));
  state.counters["records"] = double(records);
}

struct ParseSink : nestrr::eventlog::FrameSink {
  nestrr::v1::Packet p;
  uint64_t records = 0;
  void on_frame(const nestrr::eventlog::Frame& f) override {
    if (p.ParseFromArray(f.payload.data(), int(f.payload.size()))) records += nestrr::eventlog::chunk_records(p);
  }
  void on_text(const nestrr::eventlog::TextLine&) override {}
  void on_damage(const nestrr::eventlog::Damage&) override {}
};

void BM_FramesAndParse(benchmark::State& state) {
  const Input& in = input();
  uint64_t records = 0;
  for (auto _ : state) {
    ParseSink sink;
    nestrr::eventlog::FrameReader reader(sink);
    reader.feed(in.stream);
    reader.finish();
    records = sink.records;
    benchmark::DoNotOptimize(records);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * in.records));
  state.counters["records"] = double(records);
}

// The packet walk alone: scan_packet over the unframed payloads (no
// frames, no merge), the stage BM_ScanMerge adds to BM_FramesAndParse's
// frame reading.
void BM_ScanPackets(benchmark::State& state) {
  const Input& in = input();
  std::vector<nestrr::eventlog::ScanRecord> out;
  nestrr::eventlog::PacketParts parts;
  std::string why;
  uint64_t records = 0;
  for (auto _ : state) {
    records = 0;
    for (const auto& pl : in.payloads) {
      out.clear();
      if (nestrr::eventlog::scan_packet(pl, &out, &parts, &why)) records += out.size();
    }
    benchmark::DoNotOptimize(records);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * in.records));
  state.counters["records"] = double(records);
}

void BM_ReadLog(benchmark::State& state) {
  const Input& in = input();
  uint64_t events = 0;
  for (auto _ : state) {
    BytesIn s(in.stream);
    auto log = nestrr::eventlog::read_log(s);
    events = log.event_count();
    benchmark::DoNotOptimize(events);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * in.records));
  state.counters["events"] = double(events);
}

void BM_ReadLogMerge(benchmark::State& state) {
  const Input& in = input();
  uint64_t events = 0, edges = 0, lost = 0;
  for (auto _ : state) {
    BytesIn s(in.stream);
    auto log = nestrr::eventlog::read_log(s);
    auto tl = nestrr::eventlog::merge(log);
    events = tl.order.size();
    edges = tl.stats.edges;
    lost = log.stats.records_lost_transport + log.stats.frames_damaged_total();
    benchmark::DoNotOptimize(events);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * in.records));
  state.counters["events"] = double(events);
  state.counters["edges"] = double(edges);
  state.counters["lost_or_damaged"] = double(lost);
  state.counters["stream_bytes"] = double(in.stream.size());
}

void BM_ScanMerge(benchmark::State& state) {
  const Input& in = input();
  uint64_t records = 0, exits = 0, held = 0;
  for (auto _ : state) {
    BytesIn s(in.stream);
    nestrr::eventlog::LogScanner scan(s);
    records = exits = held = 0;
    while (const auto* r = scan.next()) {
      ++records;
      exits += r->kind == nestrr::v1::Record::kVmExit;
      held = std::max<uint64_t>(held, scan.queued());
    }
    benchmark::DoNotOptimize(exits);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * in.records));
  state.counters["records"] = double(records);
  state.counters["most_held"] = double(held);
}

BENCHMARK(BM_ParsePayloads)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_FramesAndParse)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_ScanPackets)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_ScanMerge)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_ReadLog)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_ReadLogMerge)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
