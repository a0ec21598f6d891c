// The search for where each NMI lands among the positions its recorded
// progress count allows: re-executions with backtracking (replayer.cc).
#pragma once

#include <cstdint>

#include "expected_log.h"
#include "replay_machine.h"

namespace nestrr::replay {

struct SearchResult {
  Attempt best;       // the attempt that matched, else the one that got furthest
  NmiSlots slots;     // the NMI positions of `best`
  uint32_t attempts = 0;
};

SearchResult search_nmi_placement(const ExpectedLog& exp, const ReplayOptions& options);

}  // namespace nestrr::replay
