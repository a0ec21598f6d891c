// Loss in words, the same everywhere a command reports it: each gap with
// its CPU and seq range, the CPUs the header declares that sent nothing,
// and the one-line summary a command prints when what it read is not whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nestrr/eventlog/log.h"

namespace nestrr::eventlog {

// "cpu1 #4812 to #4869 (58 records, noticed at byte 91234)", "cpu0 #20 to
// #24 (5 records, the end of its stream, by its trailer)", "cpu1 from #4871
// on (at least 3 records of the frame cut at byte 9120; its trailer never
// came)", "cpu0 after #119 (damage at byte 9120 follows its last record,
// its trailer never came: how many were lost is unknown)".
std::string describe(const SeqGap& gap);

// CPUs below the header's cpu_count that have no record in the log.
std::vector<uint32_t> silent_cpus(const Log& log);

// One line: damaged frames (the first described), records lost (the first
// gaps named), logger drops, conflicts; empty when the log is whole.
std::string loss_summary(const Log& log);

}  // namespace nestrr::eventlog
