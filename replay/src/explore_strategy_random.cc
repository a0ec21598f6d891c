// The baseline: a uniformly random choice among the options at every
// decision (which CPU, and whether a pending NMI is taken now). Run i draws
// from its own stream, seeded by (seed, i).
#include <random>

#include "explore_strategy.h"

namespace nestrr::replay {
namespace {

class Random final : public Strategy {
 public:
  explicit Random(uint64_t seed) : seed_(seed) {}
  bool begin(uint64_t index) override {
    rng_.seed(mix_seed(seed_, index, 0x72616e64));
    return true;
  }
  size_t choose(const DecisionView& v) override {
    return std::uniform_int_distribution<size_t>(0, v.options->size() - 1)(rng_);
  }

 private:
  uint64_t seed_;
  std::mt19937_64 rng_;
};

}  // namespace

// splitmix64 over the three words: cheap, and every bit of each input
// reaches every bit of the result.
uint64_t mix_seed(uint64_t seed, uint64_t index, uint64_t salt) {
  auto step = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  };
  return step(step(step(seed) ^ index) ^ salt);
}

std::unique_ptr<Strategy> make_random_strategy(uint64_t seed) {
  return std::make_unique<Random>(seed);
}

}  // namespace nestrr::replay
