// Telling a log from anything else: an empty file, a binary, a text file,
// a capture of the wrong port. Every command that reads a log refuses
// those with one message naming the file, where the reader looked and
// what it expected, instead of reporting an empty log.
#pragma once

#include <stdexcept>
#include <string>

#include "nestrr/eventlog/log.h"

namespace nestrr::eventlog {

// Why `log` (as read_log made it) is not a nestrr log at all; empty when it
// is one (at least one intact frame carrying a nestrr packet). E.g. "empty
// (0 bytes): expected frames ...", "no frame in its 812 bytes: expected a
// \"~N\" frame mark (byte 0 starts \"\\x7fELF\\x02...\")".
std::string why_not_a_log(const Log& log);

struct NotALog : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws NotALog ("NAME: not a nestrr log: WHY") when why_not_a_log says so.
void require_log(const Log& log, const std::string& name);

}  // namespace nestrr::eventlog
