// `monitor` commands (qRcmd) over any Target: event N, when, timeline [K],
// cpu N, help.
#pragma once

#include <string>
#include <string_view>

#include "nestrr/gdbstub/target.h"

namespace nestrr::gdbstub {

// The text gdb prints for `monitor LINE` (always ends in a newline).
std::string run_monitor(Target& target, std::string_view line);

}  // namespace nestrr::gdbstub
