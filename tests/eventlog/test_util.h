// Helpers shared by the eventlog tests: building records, chunks and
// whole streams in a few lines.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/frame_reader.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/writer.h"
#include "nestrr/frame.h"

namespace nestrr::eventlog::testing {

inline nestrr::v1::Record vm_exit(int64_t dt, uint32_t reason, int64_t rip_delta) {
  nestrr::v1::Record r;
  r.set_dt(dt);
  r.mutable_vm_exit()->set_reason(reason);
  r.mutable_vm_exit()->set_guest_rip_delta(rip_delta);
  return r;
}

inline nestrr::v1::Record entry(int64_t dt) {
  nestrr::v1::Record r;
  r.set_dt(dt);
  r.mutable_vm_entry()->set_to_l2(true);
  return r;
}

inline nestrr::v1::Header header(uint32_t cpus, uint64_t hz = 1'000'000'000) {
  nestrr::v1::Header h;
  h.set_format_version(2);
  h.set_cpu_count(cpus);
  h.set_tsc_hz(hz);
  h.set_description("test");
  h.set_sink(nestrr::v1::Header::SINK_STREAM);
  return h;
}

// n simple records (entries), dt 10 each.
inline std::vector<nestrr::v1::Record> entries(size_t n) {
  std::vector<nestrr::v1::Record> v;
  for (size_t i = 0; i < n; ++i) v.push_back(entry(10));
  return v;
}

inline Log read_string(const std::string& bytes) {
  std::istringstream in(bytes);
  return read_log(in);
}

// Collects everything a FrameReader delivers.
struct Collect : FrameSink {
  struct F {
    std::string payload;
    uint64_t offset, length;
  };
  struct T {
    std::string text;
    uint64_t offset;
    bool complete;
  };
  std::vector<F> frames;
  std::vector<T> texts;
  std::vector<Damage> damage;
  void on_frame(const Frame& f) override {
    frames.push_back({std::string(f.payload), f.offset, f.length});
  }
  void on_text(const TextLine& t) override {
    texts.push_back({std::string(t.text), t.offset, t.complete});
  }
  void on_damage(const Damage& d) override { damage.push_back(d); }
};

inline std::string encode_frame(std::string_view payload) {
  std::string line(NESTRR_FRAME_MAX_LINE, '\0');
  line.resize(nestrr_frame_encode(payload.data(), payload.size(), line.data()));
  return line;
}

}  // namespace nestrr::eventlog::testing
