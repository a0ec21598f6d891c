// Scheduling strategies of the explorer: at every decision the machine
// lists its options (which CPU resumes, and whether it takes its pending NMI
// first) and the strategy picks one.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace nestrr::replay {

struct ExploreOption {
  uint32_t cpu = 0;
  bool nmi = false;  // deliver the CPU's pending NMI before it goes on
};

struct DecisionView {
  const std::vector<ExploreOption>* options = nullptr;
  int last = -1;              // CPU that ran the previous step, -1 at the start
  bool last_can_go = false;   // it could go on without an NMI (switching away preempts it)
  uint64_t step = 0;          // index of this decision in the run
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Prepares the next run; false when there is none (the space is exhausted).
  virtual bool begin() = 0;
  // Index into *view.options.
  virtual size_t choose(const DecisionView& view) = 0;
  // The run ended after `steps` decisions.
  virtual void end(uint64_t steps) { (void)steps; }
};

std::unique_ptr<Strategy> make_pct_strategy(uint64_t seed, uint32_t depth, uint32_t cpus);
std::unique_ptr<Strategy> make_bounded_strategy(uint32_t bound);
std::unique_ptr<Strategy> make_random_strategy(uint64_t seed);

}  // namespace nestrr::replay
