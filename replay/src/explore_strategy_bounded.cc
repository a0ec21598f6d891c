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
#include <algorithm>
#include <stdexcept>

#include "explore_strategy.h"

namespace nestrr::replay {
namespace {

class Bounded final : public Strategy {
 public:
  explicit Bounded(uint32_t bound) : bound_(bound) {}

  bool begin() override {
    if (first_) {
      first_ = false;
      return true;
    }
    // Backtrack: the deepest decision with an untried alternative.
    while (!trail_.empty() && trail_.back().next + 1 >= trail_.back().order.size())
      trail_.pop_back();
    if (trail_.empty()) return false;
    trail_.back().next++;
    return true;
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
    size_t def = default_choice(v);
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

  static size_t default_choice(const DecisionView& v) {
    const auto& opts = *v.options;
    bool last_here = v.last >= 0 && (find(opts, v.last, true) < opts.size() ||
                                     find(opts, v.last, false) < opts.size());
    int cpu = last_here ? v.last : static_cast<int>(opts.front().cpu);
    size_t i = find(opts, cpu, true);
    return i < opts.size() ? i : find(opts, cpu, false);
  }

  static uint32_t cost(const DecisionView& v, size_t i) {
    const ExploreOption& o = (*v.options)[i];
    uint32_t c = 0;
    if (static_cast<int>(o.cpu) != v.last && v.last_can_go) c++;
    if (!o.nmi && find(*v.options, static_cast<int>(o.cpu), true) < v.options->size()) c++;
    return c;
  }

  [[noreturn]] static void throw_nondeterminism();

  uint32_t bound_;
  bool first_ = true;
  std::vector<Node> trail_;
  uint32_t cost_ = 0;
};

void Bounded::throw_nondeterminism() {
  throw std::logic_error("explore: a re-executed prefix offered different options (nondeterminism)");
}

}  // namespace

std::unique_ptr<Strategy> make_bounded_strategy(uint32_t bound) {
  return std::make_unique<Bounded>(bound);
}

}  // namespace nestrr::replay
