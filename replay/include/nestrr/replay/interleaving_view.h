// Text views of a replay: the CPUs side by side before the failure (one
// column per CPU, NMIs drawn as arrows between columns, the two accesses
// an NMI fell between named), the failing stack, the failure itself.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "nestrr/replay/replayer.h"

namespace nestrr::replay {

struct ViewOptions {
  size_t rows = 12;          // trace rows before the failure (at least)
  size_t column_width = 38;  // per CPU
};

// The trace entries [first, last) the view shows: up to the failure, at
// least `rows` of them, reaching back to the NMI the failing CPU took.
std::pair<size_t, size_t> interleaving_window(const ReplayResult& result, size_t rows);
// One entry as the view prints it in its CPU's column ("nmi| log ...").
std::string describe_entry(const TraceEntry& entry);
// For the NMI delivered at trace[i]: "landed after \"A\", before \"B\""
// (the two accesses it fell between), or "" when unknown.
std::string nmi_landed_between(const std::vector<TraceEntry>& trace, size_t i);

std::string interleaving_view(const ReplayResult& result, uint32_t cpus,
                              const ViewOptions& options = {});
// "#0 0x55..  find_current_vmcs12+0x2a (vmcs12.c:40)" per frame.
std::string stack_view(const ReplayResult& result);
// "cpu0: assertion 'cond' failed at file:line (progress N)".
std::string failure_line(const ReproducedFailure& f);

}  // namespace nestrr::replay
