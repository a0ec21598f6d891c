// The noisy channel: one pass over the input, every change recorded in
// input coordinates.
#include "nestrr/eventlog/noise.h"

namespace nestrr::eventlog {

NoisyChannel::NoisyChannel(uint64_t seed, NoiseRates rates) : rng_(seed), rates_(rates) {}

bool NoisyChannel::chance(double p) {
  if (p <= 0) return false;
  // 53 random bits -> [0, 1): the same on every platform for a given seed.
  const double u = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
  return u < p;
}

NoiseResult NoisyChannel::apply(std::string_view input) {
  NoiseResult result;
  result.bytes.reserve(input.size() + input.size() / 16);
  const std::string_view eol = rates_.crlf ? "\r\n" : "\n";
  for (size_t i = 0; i < input.size(); ++i) {
    if (chance(rates_.insert_line)) {
      ++result.inserts;
      std::string line = "noise line " + std::to_string(rng_() % 100000) + " from the console";
      result.bytes += line;
      result.bytes += eol;
      if (i > 0 && input[i - 1] != '\n') {
        if (result.damaged.empty() || result.damaged.back() != i - 1) result.damaged.push_back(i - 1);
      }
    }
    if (chance(rates_.drop)) {
      ++result.drops;
      if (result.damaged.empty() || result.damaged.back() != i) result.damaged.push_back(i);
      continue;
    }
    char c = input[i];
    if (chance(rates_.flip)) {
      ++result.flips;
      c = static_cast<char>(static_cast<unsigned char>(c) ^ (1u << (rng_() % 8)));
      if (result.damaged.empty() || result.damaged.back() != i) result.damaged.push_back(i);
    }
    if (c == '\n') {
      result.bytes += eol;
    } else {
      result.bytes.push_back(c);
    }
  }
  return result;
}

}  // namespace nestrr::eventlog
