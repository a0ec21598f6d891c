// Landing coverage: NMI delivery points as the first-class choice.
//
// The races of a nested hypervisor's NMI handling are about where an NMI
// lands: which yield point the CPU is parked at (so which shared access the
// handler's runs before) and in which VMX mode. Uniform choices rarely hold
// an NMI back long enough to land anywhere but right after it was sent, and
// PCT's change points move CPUs, not NMIs. Here a run aims every CPU's
// NMIs at one landing (point, VMX mode): a pending NMI is held while its
// CPU runs on, and taken when the CPU parks at its target, or when the CPU
// can do nothing else (spinning on a wait that cannot end, idle). The CPUs
// themselves are scheduled uniformly at random.
//
// Run 0 delivers NMIs at once and counts, per CPU, how often it parked at
// each landing. Runs 1, 2, ... then walk each CPU's landings rarest first:
// landings in the VMX mode the CPU spent the fewest points in first (L2
// runs briefly, and the moments between two mode flags are rarer still),
// within a mode the rarest point first (passed once per iteration before
// passed at every EPT walk). A CPU that took m NMIs in run 0 gets m
// targets a run, the next m of its order (CPU c starting c places further
// on); each of its NMIs lands at the first of them it parks at that no NMI
// landed at yet. So every landing seen in run 0 is a target within K/m runs
// for a CPU with K landings. Run i is a function of (seed, i) and run 0, as
// shards need.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <random>

#include "explore_strategy.h"

namespace nestrr::replay {
namespace {

class Landing final : public Strategy {
 public:
  Landing(uint64_t seed, uint32_t cpus)
      : seed_(seed), visits_(cpus), order_(cpus), nmis0_(cpus, 0), taken_(cpus, 0) {}

  bool begin(uint64_t index) override {
    index_ = index;
    rng_.seed(mix_seed(seed_, index, 0x6c616e64));
    std::fill(taken_.begin(), taken_.end(), 0);
    targets_.assign(order_.size(), {});
    if (index == 0) return true;
    for (size_t c = 0; c < order_.size(); ++c) {
      const auto& keys = order_[c];
      const uint64_t m = std::min<uint64_t>(std::max<uint64_t>(nmis0_[c], 1), keys.size());
      for (uint64_t k = 0; k < m; ++k)
        targets_[c].insert(keys[((index - 1) * m + k + c) % keys.size()]);
    }
    return true;
  }

  size_t choose(const DecisionView& v) override {
    const auto& opts = *v.options;
    if (index_ == 0 && v.last >= 0)
      for (const auto& o : opts)
        if (static_cast<int>(o.cpu) == v.last && o.landing != kNoLanding) {
          visits_[o.cpu][o.landing]++;
          break;
        }
    kept_.clear();
    for (size_t i = 0; i < opts.size(); ++i)
      if (keep(opts, opts[i])) kept_.push_back(i);
    size_t pick = kept_.empty() ? std::uniform_int_distribution<size_t>(0, opts.size() - 1)(rng_)
                                : kept_[std::uniform_int_distribution<size_t>(0, kept_.size() - 1)(rng_)];
    if (opts[pick].nmi) {
      taken_[opts[pick].cpu]++;
      targets_[opts[pick].cpu].erase(opts[pick].landing);  // covered: aim the next NMI elsewhere
    }
    return pick;
  }

  void end(uint64_t) override {
    if (index_ != 0) return;
    nmis0_ = taken_;
    for (size_t c = 0; c < visits_.size(); ++c) {
      std::map<uint32_t, uint64_t> per_mode;  // VMX mode -> parks in it
      for (const auto& [key, n] : visits_[c]) per_mode[key >> 16] += n;
      std::vector<std::tuple<uint64_t, uint64_t, uint32_t>> rank;
      for (const auto& [key, n] : visits_[c]) rank.push_back({per_mode[key >> 16], n, key});
      std::sort(rank.begin(), rank.end());
      order_[c].clear();
      for (const auto& [mode_n, n, key] : rank) order_[c].push_back(key);
    }
  }

 private:
  static bool has(const std::vector<ExploreOption>& opts, uint32_t cpu, bool nmi) {
    for (const auto& o : opts)
      if (o.cpu == cpu && o.nmi == nmi) return true;
    return false;
  }

  // Run 0 takes every NMI at once; later runs hold an NMI until its CPU
  // parks at one of its targets not yet landed on, unless holding it would
  // leave the CPU nothing to do, or every target is covered.
  bool keep(const std::vector<ExploreOption>& opts, const ExploreOption& o) const {
    const auto& targets = targets_[o.cpu];
    const bool at_target = targets.empty() || targets.count(o.landing) > 0;
    if (o.nmi) return at_target || !has(opts, o.cpu, false);
    return !(at_target && has(opts, o.cpu, true));
  }

  uint64_t seed_;
  uint64_t index_ = 0;
  std::mt19937_64 rng_;
  std::vector<std::map<uint32_t, uint64_t>> visits_;  // run 0: landing -> times parked there
  std::vector<std::vector<uint32_t>> order_;          // landings, rarest first
  std::vector<uint64_t> nmis0_;                       // NMIs each CPU took in run 0
  std::vector<uint64_t> taken_;                       // ... in this run
  std::vector<std::set<uint32_t>> targets_;           // this run's, not yet landed on
  std::vector<size_t> kept_;
};

}  // namespace

std::unique_ptr<Strategy> make_landing_strategy(uint64_t seed, uint32_t cpus) {
  return std::make_unique<Landing>(seed, cpus);
}

}  // namespace nestrr::replay
