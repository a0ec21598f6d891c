// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): every
// schedulable entity gets a random priority, the highest-priority enabled
// one always runs, and at d - 1 random steps the running entity drops below
// all others. A bug of depth d is found with probability at least
// 1 / (n k^(d-1)) per run (n entities, k steps).
//
// Entities here are the CPUs and, per CPU, its NMI: a pending NMI whose
// priority is above its CPU's is taken at the CPU's next point; one below
// waits until a change point lowers the CPU. So where an NMI lands is
// decided by the same priorities as which CPU runs.
//
// Run i draws its priorities and change points from its own stream (seed,
// i); k, the bound on the steps of a run, is the number of decisions of run
// 0 (which has no change points), so every run is a function of (seed, i)
// and run 0.
#include <algorithm>
#include <numeric>
#include <random>

#include "explore_strategy.h"

namespace nestrr::replay {
namespace {

class Pct final : public Strategy {
 public:
  Pct(uint64_t seed, uint32_t depth, uint32_t cpus)
      : seed_(seed), depth_(depth ? depth : 1), cpus_(cpus), prio_(2 * cpus) {}

  bool begin(uint64_t index) override {
    rng_.seed(mix_seed(seed_, index, 0x706374));
    index_ = index;
    // Initial priorities depth_ .. depth_ + 2n - 1, a random permutation;
    // change point i (0-based) lowers to depth_ - 1 - i, below all of them.
    std::iota(prio_.begin(), prio_.end(), static_cast<uint64_t>(depth_));
    std::shuffle(prio_.begin(), prio_.end(), rng_);
    changes_.clear();
    if (k_ > 0) {
      std::uniform_int_distribution<uint64_t> at(0, k_ - 1);
      for (uint32_t i = 0; i + 1 < depth_; ++i) changes_.push_back(at(rng_));
    }
    return true;
  }

  size_t choose(const DecisionView& v) override {
    const auto& opts = *v.options;
    size_t best = top(opts);
    if (opts.size() < 2) return best;  // no choice: not a step PCT counts
    uint64_t step = choices_++;
    for (size_t i = 0; i < changes_.size(); ++i) {
      if (changes_[i] != step) continue;
      prio_[entity(opts[best])] = depth_ - 1 - i;
      best = top(opts);
    }
    return best;
  }

  void end(uint64_t steps) override {
    // All of run 0's decisions, not only its choices: a run 0 whose
    // priorities left few choices (one CPU ran alone for long) would pin
    // every later change point to the start.
    if (index_ == 0) k_ = std::max(choices_, steps);
    choices_ = 0;
  }

 private:
  size_t entity(const ExploreOption& o) const { return o.nmi ? cpus_ + o.cpu : o.cpu; }
  size_t top(const std::vector<ExploreOption>& opts) const {
    size_t best = 0;
    for (size_t i = 1; i < opts.size(); ++i)
      if (prio_[entity(opts[i])] > prio_[entity(opts[best])]) best = i;
    return best;
  }

  uint64_t seed_;
  uint64_t index_ = 0;
  std::mt19937_64 rng_;
  uint32_t depth_, cpus_;
  std::vector<uint64_t> prio_;
  std::vector<uint64_t> changes_;
  uint64_t k_ = 0;        // decisions of run 0: where change points may fall
  uint64_t choices_ = 0;  // decisions with more than one option, this run
};

}  // namespace

std::unique_ptr<Strategy> make_pct_strategy(uint64_t seed, uint32_t depth, uint32_t cpus) {
  return std::make_unique<Pct>(seed, depth, cpus);
}

}  // namespace nestrr::replay
