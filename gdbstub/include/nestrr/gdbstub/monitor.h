// `monitor` commands (qRcmd) over any Target: event N, goto N, when,
// next/prev KIND [CPU], checkpoint, restart ID, timeline [K], cpu N,
// direction, help.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nestrr/gdbstub/target.h"

namespace nestrr::gdbstub {

// What monitor commands leave for the server's next resume.
struct MonitorState {
  // `direction backward`: continue and step run backward (for a client
  // without reverse commands, as lldb 14).
  Direction direction = Direction::kForward;
  // `goto N`: the next resume goes to N and stops there, so that the
  // client sees a stop and refreshes what it shows.
  std::optional<uint64_t> go_to;
  // `restart ID`: the next resume goes back to checkpoint ID and stops.
  std::optional<uint64_t> restart;
};

// The text gdb prints for `monitor LINE` (always ends in a newline).
std::string run_monitor(Target& target, MonitorState& state, std::string_view line);

}  // namespace nestrr::gdbstub
