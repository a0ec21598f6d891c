// The exit-code table of commands.h in words, for --help (docs/cli.md has
// the same table with examples).
#include "commands.h"

namespace nestrr::cli {

const char* exit_code_help() {
  return "Exit codes (the same for every command):\n"
         "  0  done\n"
         "  1  failed for another reason (output not writable, disk full, a program missing);\n"
         "     stderr says why\n"
         "  2  bad usage: unknown option, missing argument, or one naming what the log does not\n"
         "     have (--event, --goto or --raw-packet past its end)\n"
         "  3  input missing, unreadable, empty or not a nestrr log, or a log this command\n"
         "     cannot use (e.g. replay of a log without a scenario)\n"
         "  4  the log was read with loss that the result depends on: check could not decide\n"
         "     an invariant, replay stopped at a gap; with --strict, any loss or damage\n"
         "  5  replay: the re-execution diverged from the log\n"
         "  6  check: an invariant is violated; explore, explore-merge: a failing schedule was\n"
         "     found";
}

}  // namespace nestrr::cli
