// The input format of the fuzz targets that start past the CRC
// (packet_fuzz, scan_fuzz): a list of payloads, each a 2-byte
// little-endian length and its bytes, framed here with good CRCs so every
// byte the fuzzer chooses reaches packet decoding. make_corpus.cc writes
// seeds in this format.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "nestrr/frame.h"

namespace nestrr_fuzz {

// The payloads of `data` as a stream of frames. A trailing odd byte cuts
// the last frame short (a capture killed mid-frame), at a point it
// chooses: `*cut` is where the stream should end.
inline std::string frames_of(const uint8_t* data, size_t size, size_t* cut) {
  std::string out;
  char line[NESTRR_FRAME_MAX_LINE];
  size_t i = 0;
  while (i + 2 <= size) {
    const size_t len = std::min<size_t>(data[i] | (data[i + 1] << 8), size - i - 2);
    const size_t n =
        nestrr_frame_encode(data + i + 2, std::min<size_t>(len, NESTRR_FRAME_MAX_PAYLOAD), line);
    out.append(line, n);
    i += 2 + len;
  }
  *cut = i < size && !out.empty() ? out.size() - 1 - data[i] % std::min<size_t>(out.size(), 64)
                                  : out.size();
  return out;
}

}  // namespace nestrr_fuzz
