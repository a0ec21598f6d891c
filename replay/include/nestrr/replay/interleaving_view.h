// Text views of a replay: the CPUs side by side before the failure (one
// column per CPU, NMIs drawn as arrows between columns, the two accesses
// an NMI fell between named), the failing stack, the failure itself.
#pragma once

#include <cstddef>
#include <string>

#include "nestrr/replay/replayer.h"

namespace nestrr::replay {

struct ViewOptions {
  size_t rows = 12;          // trace rows before the failure (at least)
  size_t column_width = 38;  // per CPU
};

std::string interleaving_view(const ReplayResult& result, uint32_t cpus,
                              const ViewOptions& options = {});
// "#0 0x55..  find_current_vmcs12+0x2a (vmcs12.c:40)" per frame.
std::string stack_view(const ReplayResult& result);
// "cpu0: assertion 'cond' failed at file:line (progress N)".
std::string failure_line(const ReproducedFailure& f);

}  // namespace nestrr::replay
