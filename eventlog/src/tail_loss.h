// Loss at the end of a log that neither a seq gap nor a trailer shows: a
// capture cut in the middle of a chunk (the relay closed, the capture was
// killed), damage after a CPU's last record when its trailer never came,
// CPUs the header declares that sent nothing before damage. Each becomes
// an open SeqGap naming the CPU and the first seq it concerns.
#pragma once

#include <cstdint>
#include <optional>

#include "cut_chunk.h"
#include "nestrr/eventlog/log.h"

namespace nestrr::eventlog::detail {

struct CutFrame {
  uint64_t offset = 0;              // of the frame the stream ended in
  std::optional<CutChunk> chunk;    // what it carried, when its prefix says
};

// Adds the open gaps to log.gaps (sorted by CPU and seq afterwards) and
// their certain counts to the CPUs' and the log's transport loss. Runs on
// a finished log: streams sorted, trailers known.
void account_tail_loss(Log& log, const std::optional<CutFrame>& cut);

}  // namespace nestrr::eventlog::detail
