// Scheduling strategies of the explorer: at every decision the machine
// lists its options (which CPU resumes, and whether it takes its pending NMI
// first) and the strategy picks one.
//
// Runs are numbered from 0. An indexed strategy (random, pct, landing)
// makes run i a pure function of (scenario, seed, i) and of run 0, which the
// explorer always executes first: so any subset of run numbers can be run
// anywhere, in any order (shards), and gives the same schedules. Bounded
// search is a depth-first walk instead; it shards by subtrees.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace nestrr::replay {

// Where a CPU is parked, as an NMI landing there would see it: the yield
// point and the VMX mode. kNoLanding while it runs its NMI handler (NMIs
// are blocked there) or has not started.
constexpr uint32_t kNoLanding = 0xffffffffu;
constexpr uint32_t landing_key(uint32_t point, uint32_t vmx_mode) { return point | (vmx_mode << 16); }

struct ExploreOption {
  uint32_t cpu = 0;
  bool nmi = false;  // deliver the CPU's pending NMI before it goes on
  uint32_t landing = kNoLanding;  // the CPU's landing key (see above)
  uint64_t progress = 0;          // the CPU's progress count
};

struct DecisionView {
  const std::vector<ExploreOption>* options = nullptr;
  int last = -1;              // CPU that ran the previous step, -1 at the start
  bool last_can_go = false;   // it could go on without an NMI (switching away preempts it)
  uint64_t last_progress = 0; // its progress count (yield points passed)
  uint64_t step = 0;          // index of this decision in the run
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Prepares run `index` (0, 1, ...); false when there is none (the space is
  // exhausted). Indexed strategies accept any index once run 0 has ended.
  virtual bool begin(uint64_t index) = 0;
  // Index into *view.options.
  virtual size_t choose(const DecisionView& view) = 0;
  // The run ended after `steps` decisions.
  virtual void end(uint64_t steps) { (void)steps; }
  // True if run i depends only on (seed, i) and run 0 (see above).
  virtual bool indexed() const { return true; }
  // Not indexed: whether the run begin() prepared is this shard's to count
  // and report (the others only lead to its part of the space).
  virtual bool reported() const { return true; }
};

// Shard I of N: which runs of an indexed strategy belong to it, and which
// subtrees of a bounded search.
struct ShardSpec {
  uint32_t index = 0;
  uint32_t count = 1;
  bool owns(uint64_t run) const { return count <= 1 || run % count == index; }
};

// The choice that costs nothing: the last CPU again, taking its pending NMI
// first; if it cannot go, the lowest CPU with an option, NMI first. A
// schedule is this default plus its deviations; bounded search counts them
// (preemptions, late NMIs) and minimization removes them.
size_t default_option(const DecisionView& view);
// The CPU default_option() runs.
uint32_t default_cpu(const DecisionView& view);

// A 64-bit mix of (seed, run index, salt): independent random streams.
uint64_t mix_seed(uint64_t seed, uint64_t index, uint64_t salt);

std::unique_ptr<Strategy> make_pct_strategy(uint64_t seed, uint32_t depth, uint32_t cpus);
std::unique_ptr<Strategy> make_bounded_strategy(uint32_t bound, ShardSpec shard);
std::unique_ptr<Strategy> make_random_strategy(uint64_t seed);
std::unique_ptr<Strategy> make_landing_strategy(uint64_t seed, uint32_t cpus);

}  // namespace nestrr::replay
