// libFuzzer target: the serial extractor (eventlog's FrameReader) alone.
// Whatever the bytes, it must account for every one of them (frames,
// damage and console text cover the stream without overlap, in order),
// keep every buffer within its bound, and find the same things however
// the stream is split into reads.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nestrr/eventlog/frame_reader.h"
#include "nestrr/frame.h"

namespace {

using namespace nestrr::eventlog;

// Everything the reader reported, as comparable lines, and checks on it.
struct Record : FrameSink {
  std::vector<std::string> seen;
  uint64_t next = 0;  // stream offset every report must start at or after
  void at(uint64_t offset, uint64_t length) {
    if (offset < next) __builtin_trap();  // out of order or overlapping
    next = offset + length;
  }
  void on_frame(const Frame& f) override {
    if (f.payload.size() > NESTRR_FRAME_MAX_PAYLOAD) __builtin_trap();
    if (f.length > NESTRR_FRAME_MAX_LINE + 1) __builtin_trap();
    at(f.offset, f.length);
    seen.push_back("F" + std::to_string(f.offset) + ":" + std::to_string(f.length) + ":" +
                   std::string(f.payload));
  }
  void on_text(const TextLine& t) override {
    if (t.text.size() > FrameReader::kMaxTextLine + 1) __builtin_trap();
    at(t.offset, t.text.size());
    seen.push_back("T" + std::to_string(t.offset) + ":" + std::string(t.text));
  }
  void on_damage(const Damage& d) override {
    if (d.length == 0) __builtin_trap();
    at(d.offset, d.length);
    if (d.payload_prefix.size() > NESTRR_FRAME_MAX_PAYLOAD + NESTRR_FRAME_CRC_BYTES) __builtin_trap();
    seen.push_back("D" + std::to_string(d.offset) + ":" + std::to_string(d.length) + ":" +
                   std::string(damage_kind_name(d.kind)));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Whole, then in pieces whose sizes the first byte chooses.
  Record whole;
  {
    FrameReader r(whole);
    r.feed(std::span<const uint8_t>(data, size));
    r.finish();
    if (r.bytes_fed() != size) __builtin_trap();
  }
  Record pieces;
  {
    FrameReader r(pieces);
    const size_t step = size ? 1 + data[0] % 7 : 1;
    for (size_t i = 0; i < size; i += step)
      r.feed(std::span<const uint8_t>(data + i, std::min(step, size - i)));
    r.finish();
  }
  if (whole.seen != pieces.seen) __builtin_trap();
  if (whole.next > size) __builtin_trap();
  return 0;
}
