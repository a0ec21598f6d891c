// A seeded noisy serial line for tests and demos: drops bytes, flips bits,
// inserts console lines, translates LF to CRLF, and says exactly which input
// positions it damaged.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace nestrr::eventlog {

struct NoiseRates {
  double drop = 0;         // per input byte
  double flip = 0;         // per input byte: one random bit
  double insert_line = 0;  // per input byte: a text line before it
  bool crlf = false;       // every output '\n' becomes "\r\n" (harmless)
};

struct NoiseResult {
  std::string bytes;
  // Input positions whose byte was dropped or flipped, or after which a line
  // was inserted in the middle of a line. Ascending, no duplicates. Inserts
  // at a line start and CRLF translation damage nothing and are not listed.
  std::vector<uint64_t> damaged;
  uint64_t drops = 0;
  uint64_t flips = 0;
  uint64_t inserts = 0;
};

class NoisyChannel {
 public:
  NoisyChannel(uint64_t seed, NoiseRates rates);
  NoiseResult apply(std::string_view input);

 private:
  bool chance(double p);
  std::mt19937_64 rng_;
  NoiseRates rates_;
};

}  // namespace nestrr::eventlog
