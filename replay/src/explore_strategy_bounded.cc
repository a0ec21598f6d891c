// Preemption bounding (Musuvathi and Qadeer, PLDI 2007): a depth-first
// search over all schedules with at most `bound` preemptions, stateless:
// each run re-executes the chosen prefix from the start, then takes the
// default choice at every new decision, and the next run backtracks to the
// deepest decision with an alternative left.
//
// Costs: switching away from the CPU that ran last while it could go on is
// a preemption; so is running a CPU without its pending NMI (the NMI is
// late by one point; on hardware it lands at once). The default choice
// costs nothing: the last CPU again, taking its NMI if one is pending;
// else the lowest CPU that can go, again NMI first.
//
// Shards: a schedule belongs to the subtree of its first deviation from the
// default (the shallowest decision where it takes an alternative), and
// shard I of N walks the subtrees whose (decision, alternative) hashes to
// I; the all-default schedule is shard 0's. Every shard still walks the
// default path to reach its subtrees, and the shards together cover the
// space once.
#include <algorithm>
#include <stdexcept>

#include "explore_strategy.h"

namespace nestrr::replay {
namespace {

class Bounded final : public Strategy {
 public:
  Bounded(uint32_t bound, ShardSpec shard) : bound_(bound), shard_(shard) {}

  bool begin(uint64_t) override {
    if (first_) {
      first_ = false;
      return true;  // the default path: every shard needs it to branch off
    }
    for (;;) {
      // Backtrack: the deepest decision with an untried alternative.
      while (!trail_.empty() && trail_.back().next + 1 >= trail_.back().order.size())
        trail_.pop_back();
      if (trail_.empty()) return false;
      trail_.back().next++;
      if (owned_subtree()) return true;
    }
  }

  bool indexed() const override { return false; }

  // Whether the run about to start is this shard's to count (the default
  // path is shard 0's).
  bool reported() const override {
    for (const Node& n : trail_)
      if (n.next != 0) return true;  // begin() only stops in owned subtrees
    return shard_.index == 0;
  }

  size_t choose(const DecisionView& v) override {
    const auto& opts = *v.options;
    if (v.step < trail_.size()) {
      Node& n = trail_[v.step];
      if (n.count != opts.size())
        throw_nondeterminism();
      cost_ = n.cost_before + n.cost[n.next];
      return n.order[n.next];
    }
    Node n;
    n.count = opts.size();
    n.cost_before = cost_;
    size_t def = default_option(v);
    auto add = [&](size_t i) {
      uint32_t c = cost(v, i);
      if (cost_ + c > bound_) return;
      n.order.push_back(i);
      n.cost.push_back(c);
    };
    add(def);
    for (size_t i = 0; i < opts.size(); ++i)
      if (i != def) add(i);
    trail_.push_back(std::move(n));
    return def;  // cost 0: cost_ stays
  }

  void end(uint64_t) override {
    cost_ = 0;
  }

 private:
  struct Node {
    size_t count = 0;               // options at this decision
    uint32_t cost_before = 0;       // preemptions spent before it
    std::vector<size_t> order;      // alternatives within the bound, default first
    std::vector<uint32_t> cost;     // what each one costs
    size_t next = 0;                // the one this run takes
  };

  static size_t find(const std::vector<ExploreOption>& opts, int cpu, bool nmi) {
    for (size_t i = 0; i < opts.size(); ++i)
      if (static_cast<int>(opts[i].cpu) == cpu && opts[i].nmi == nmi) return i;
    return opts.size();
  }

  static uint32_t cost(const DecisionView& v, size_t i) {
    const ExploreOption& o = (*v.options)[i];
    uint32_t c = 0;
    if (static_cast<int>(o.cpu) != v.last && v.last_can_go) c++;
    if (!o.nmi && find(*v.options, static_cast<int>(o.cpu), true) < v.options->size()) c++;
    return c;
  }

  // The run about to start deviates first at the last node of the trail
  // (all before it take the default), or later: is that subtree ours?
  bool owned_subtree() const {
    if (shard_.count <= 1) return true;
    for (size_t i = 0; i + 1 < trail_.size(); ++i)
      if (trail_[i].next != 0) return true;  // decided at a shallower deviation
    const uint64_t key = (static_cast<uint64_t>(trail_.size() - 1) << 16) ^ trail_.back().next;
    return mix_seed(key, 0, 0x626e64) % shard_.count == shard_.index;
  }

  [[noreturn]] static void throw_nondeterminism();

  uint32_t bound_;
  ShardSpec shard_;
  bool first_ = true;
  std::vector<Node> trail_;
  uint32_t cost_ = 0;
};

void Bounded::throw_nondeterminism() {
  throw std::logic_error("explore: a re-executed prefix offered different options (nondeterminism)");
}

}  // namespace

uint32_t default_cpu(const DecisionView& v) {
  const auto& opts = *v.options;
  for (const auto& o : opts)
    if (static_cast<int>(o.cpu) == v.last) return o.cpu;
  return opts.front().cpu;
}

size_t default_option(const DecisionView& v) {
  const auto& opts = *v.options;
  const uint32_t cpu = default_cpu(v);
  size_t plain = opts.size();
  for (size_t i = 0; i < opts.size(); ++i) {
    if (opts[i].cpu != cpu) continue;
    if (opts[i].nmi) return i;
    plain = i;
  }
  return plain;
}

std::unique_ptr<Strategy> make_bounded_strategy(uint32_t bound, ShardSpec shard) {
  return std::make_unique<Bounded>(bound, shard);
}

}  // namespace nestrr::replay
