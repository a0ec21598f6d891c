// What a frame cut by the end of the stream was carrying, read from the
// payload bytes that did arrive: a chunk's CPU and first seq come first in
// the packet (the logger and the writer put them there), so a capture cut
// mid-frame can still say whose records it lost, and from which seq.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace nestrr::eventlog::detail {

struct CutChunk {
  uint32_t cpu = 0;
  uint64_t first_seq = 0;
  // Records the prefix shows the start of (at least 1: a chunk is never
  // written empty). The chunk may have held more.
  uint64_t records = 1;
};

// The chunk whose first bytes `prefix` is; nothing if the prefix is too
// short to name its CPU and first seq, or is not the start of a chunk (a
// header, trailer or key-frame piece).
std::optional<CutChunk> read_cut_chunk(std::string_view prefix);

}  // namespace nestrr::eventlog::detail
