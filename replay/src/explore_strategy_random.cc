// The baseline: a uniformly random choice among the options at every
// decision (which CPU, and whether a pending NMI is taken now).
#include <random>

#include "explore_strategy.h"

namespace nestrr::replay {
namespace {

class Random final : public Strategy {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  bool begin() override { return true; }
  size_t choose(const DecisionView& v) override {
    return std::uniform_int_distribution<size_t>(0, v.options->size() - 1)(rng_);
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<Strategy> make_random_strategy(uint64_t seed) {
  return std::make_unique<Random>(seed);
}

}  // namespace nestrr::replay
