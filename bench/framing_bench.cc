// Framing choice: the project's text-line frames ("~N" + base64 + CRC-32,
// "\n") against COBS binary frames (COBS of payload || CRC-32, 0x00
// delimiter) on the same packets (the real logger's stream of the
// realistic mix, 2 CPUs). Results are counters; the timing means nothing.
//   BM_Framing/F/C    F: 0 = text line, 1 = COBS
//                     C: channel condition (kConditions below)
// Counters: bytes_per_record (chunk-frame bytes on the wire / records),
// frames_ok and records_ok (fraction recovered intact: CRC passes and the
// payload is byte-identical to one that was sent), bad_accepts (decoded
// payloads that pass the CRC but were never sent).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "frames.h"
#include "nestrr.pb.h"
#include "nestrr/eventlog/noise.h"
#include "nestrr/frame.h"
#include "workload.h"

namespace {

using nestrr::eventlog::NoiseRates;
using nestrr::eventlog::NoisyChannel;

// --- COBS (Cheshire & Baker), payload || crc32_le, then 0x00 ------------
std::string cobs_encode(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 254 + 2);
  size_t code_pos = out.size();
  out.push_back(0);
  uint8_t code = 1;
  for (unsigned char c : in) {
    if (c == 0) {
      out[code_pos] = char(code);
      code_pos = out.size();
      out.push_back(0);
      code = 1;
    } else {
      out.push_back(char(c));
      if (++code == 0xff) {
        out[code_pos] = char(code);
        code_pos = out.size();
        out.push_back(0);
        code = 1;
      }
    }
  }
  out[code_pos] = char(code);
  return out;
}

bool cobs_decode(std::string_view in, std::string& out) {
  out.clear();
  size_t i = 0;
  while (i < in.size()) {
    const uint8_t code = uint8_t(in[i++]);
    if (code == 0 || i + code - 1 > in.size()) return false;
    out.append(in.substr(i, code - 1u));
    i += code - 1u;
    if (code < 0xff && i < in.size()) out.push_back(0);
  }
  return true;
}

std::string cobs_frame(std::string_view payload) {
  std::string body(payload);
  const unsigned crc = nestrr_crc32(0, payload.data(), payload.size());
  for (int k = 0; k < 4; ++k) body.push_back(char((crc >> (8 * k)) & 0xff));
  std::string f = cobs_encode(body);
  f.push_back(0);
  return f;
}

// Payloads found in a COBS stream whose CRC passes.
std::vector<std::string> cobs_read(std::string_view stream) {
  std::vector<std::string> good;
  std::string dec;
  size_t start = 0;
  for (size_t i = 0; i <= stream.size(); ++i) {
    if (i < stream.size() && stream[i] != 0) continue;
    std::string_view f = stream.substr(start, i - start);
    start = i + 1;
    if (f.empty() || !cobs_decode(f, dec) || dec.size() < 4) continue;
    const size_t n = dec.size() - 4;
    unsigned crc = 0;
    for (int k = 0; k < 4; ++k) crc |= unsigned(uint8_t(dec[n + k])) << (8 * k);
    if (nestrr_crc32(0, dec.data(), n) == crc) good.emplace_back(dec.data(), n);
  }
  return good;
}

// --- the packets and both encodings ----------------------------------------
struct Sent {
  std::vector<std::string> payloads;
  std::vector<uint64_t> records;  // per payload
  uint64_t total_records = 0;
  std::string text, cobs;          // the two encoded streams
  std::string text_lines, cobs_lines;  // same, with a console line every 4 frames
  uint64_t text_chunk_bytes = 0, cobs_chunk_bytes = 0;
};

const Sent& sent() {
  static const Sent s = [] {
    Sent s;
    const auto events = nestrr::bench::make_mix(3, 2, 20'000);
    const std::string stream = nestrr::bench::log_stream(events, 2, 64);
    const auto frames = nestrr::bench::split_frames(stream);
    nestrr::v1::Packet p;
    int k = 0;
    for (size_t i = 0; i < frames.payloads.size(); ++i) {
      const std::string& pl = frames.payloads[i];
      uint64_t recs = p.ParseFromString(pl) ? uint64_t(p.record_size()) : 0;
      s.payloads.push_back(pl);
      s.records.push_back(recs);
      s.total_records += recs;
      char line[NESTRR_FRAME_MAX_LINE];
      const std::string t(line, nestrr_frame_encode(pl.data(), pl.size(), line));
      const std::string c = cobs_frame(pl);
      s.text += t;
      s.cobs += c;
      if (recs) {
        s.text_chunk_bytes += t.size();
        s.cobs_chunk_bytes += c.size();
      }
      const std::string console = "hv: cpu" + std::to_string(k % 2) + " handled event " +
                                  std::to_string(k) + "\n";
      s.text_lines += t;
      s.cobs_lines += c;
      if (++k % 4 == 0) {
        s.text_lines += console;
        s.cobs_lines += console;
      }
    }
    return s;
  }();
  return s;
}

struct Condition {
  const char* name;
  NoiseRates rates;
  bool console_lines;  // the streams with console lines between frames
};
const Condition kConditions[] = {
    {"clean", {}, false},
    {"crlf", {0, 0, 0, true}, false},
    {"noise_1e-4", {0.5e-4, 0.5e-4, 0, false}, false},
    {"noise_1e-3", {0.5e-3, 0.5e-3, 0, false}, false},
    {"console_lines_between_frames", {}, true},
    {"lines_inserted_1e-3", {0, 0, 1e-3, false}, false},
    {"crlf_noise_1e-4_lines_1e-4", {0.5e-4, 0.5e-4, 1e-4, true}, true},
};

struct Recovered {
  uint64_t frames = 0, records = 0, bad = 0;
};

Recovered score(const std::vector<std::string>& got) {
  const Sent& s = sent();
  static const std::vector<std::pair<std::string, uint64_t>> sorted = [] {
    std::vector<std::pair<std::string, uint64_t>> v;
    for (size_t i = 0; i < sent().payloads.size(); ++i)
      v.emplace_back(sent().payloads[i], sent().records[i]);
    std::sort(v.begin(), v.end());
    return v;
  }();
  (void)s;
  Recovered r;
  std::set<std::string> seen;
  for (const auto& g : got) {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), std::make_pair(g, uint64_t(0)));
    if (it == sorted.end() || it->first != g) {
      ++r.bad;
      continue;
    }
    if (!seen.insert(g).second) continue;
    ++r.frames;
    r.records += it->second;
  }
  return r;
}

void BM_Framing(benchmark::State& state) {
  const bool cobs = state.range(0) == 1;
  const Condition& cond = kConditions[state.range(1)];
  const Sent& s = sent();
  const std::string& clean =
      cond.console_lines ? (cobs ? s.cobs_lines : s.text_lines) : (cobs ? s.cobs : s.text);
  constexpr int kSeeds = 8;
  Recovered total;
  for (auto _ : state) {
    total = {};
    for (int seed = 1; seed <= kSeeds; ++seed) {
      NoisyChannel ch(uint64_t(seed) * 7919, cond.rates);
      const std::string wire = ch.apply(clean).bytes;
      std::vector<std::string> got;
      if (cobs) {
        got = cobs_read(wire);
      } else {
        got = nestrr::bench::split_frames(wire).payloads;
      }
      Recovered r = score(got);
      total.frames += r.frames;
      total.records += r.records;
      total.bad += r.bad;
    }
  }
  state.SetLabel(std::string(cobs ? "cobs " : "text ") + cond.name);
  state.counters["bytes_per_record"] =
      double(cobs ? s.cobs_chunk_bytes : s.text_chunk_bytes) / double(s.total_records);
  state.counters["frames_ok"] = double(total.frames) / double(kSeeds * s.payloads.size());
  state.counters["records_ok"] = double(total.records) / double(kSeeds * s.total_records);
  state.counters["bad_accepts"] = double(total.bad);
}

void Args(benchmark::internal::Benchmark* b) {
  for (int c = 0; c < int(std::size(kConditions)); ++c)
    for (int f = 0; f < 2; ++f) b->Args({f, c});
}
BENCHMARK(BM_Framing)->Apply(Args)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
