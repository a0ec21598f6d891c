// Minimizing a failing schedule: the fewest deviations from the default
// schedule (so the fewest preemptions and late NMIs) that still fail the
// same way.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "explore_machine.h"

namespace nestrr::replay {

struct Minimized {
  ExploredRun run;         // the smallest failing run found (its log replays)
  uint64_t runs = 0;       // candidate schedules tried
};

// `same_failure` says whether a candidate run fails as the original did.
// Deterministic: the same failing run and budget give the same result, on
// any machine (no clock is read). `budget` bounds the candidate runs.
Minimized minimize_schedule(ExploreMachine& machine, const ExploredRun& failing,
                            const std::function<bool(ExploredRun&)>& same_failure,
                            uint64_t budget);

}  // namespace nestrr::replay
