// Splits a framed stream into its frames with the eventlog FrameReader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nestrr/eventlog/frame_reader.h"

namespace nestrr::bench {

struct FramesOut : eventlog::FrameSink {
  std::vector<std::string> payloads;
  std::vector<uint64_t> lengths;  // bytes on the line, mark through line end
  uint64_t text_lines = 0, damaged = 0;
  void on_frame(const eventlog::Frame& f) override {
    payloads.emplace_back(f.payload);
    lengths.push_back(f.length);
  }
  void on_text(const eventlog::TextLine&) override { ++text_lines; }
  void on_damage(const eventlog::Damage&) override { ++damaged; }
};

inline FramesOut split_frames(std::string_view stream) {
  FramesOut out;
  eventlog::FrameReader reader(out);
  reader.feed(stream);
  reader.finish();
  return out;
}

}  // namespace nestrr::bench
