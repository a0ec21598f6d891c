// `nestrr replay --goto N...`: one pass through the log with checkpoints,
// then to each requested record, forward or back, from the nearest
// checkpoint; prints every CPU's state there and what getting there cost.
#pragma once

#include <cstdint>
#include <vector>

#include "nestrr/eventlog/log.h"

namespace nestrr::cli {

// Exit code: 0, kExitDiverged when the pass diverges first, kExitUsage for
// a record beyond the log.
int replay_goto(const eventlog::Log& log, const std::vector<uint64_t>& records);

}  // namespace nestrr::cli
