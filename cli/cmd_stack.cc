// `nestrr stack`: the call stack of an assertion failure (or of any record
// with registers), unwound with DWARF CFI and frame pointers.
#include <iostream>
#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/symbolize/stack_format.h"
#include "stack_input.h"

namespace nestrr::cli {

void register_stack(CLI::App& app, Run& run) {
  struct Opts {
    StackInputOptions in;
    uint64_t event = 0;
    bool tree_only = false, gdb_only = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "stack", "Call stack of the assertion failure (or --event N): DWARF CFI and frame pointers");
  sub->add_option("log", o->in.log, "Log file (- for stdin)")->required();
  sub->add_option("--elf", o->in.elf, "ELF file of a logged module (repeatable), matched by build-id");
  sub->add_option("--debug-dir", o->in.debug_dirs, "Find files by build-id in DIR/.build-id (repeatable)");
  auto* ev = sub->add_option("--event", o->event, "Event index in the merged timeline (as `nestrr dump` lists it)");
  sub->add_flag("--tree", o->tree_only, "Only the call tree (outermost first)");
  sub->add_flag("--gdb", o->gdb_only, "Only the gdb-style backtrace");
  add_strict_flag(sub, o->in.strict);
  sub->callback([&run, o, ev] {
    run = [o, ev]() -> int {
      if (ev->count()) o->in.event = o->event;
      int code = 0;
      auto in = open_stack_input(o->in, true, code);
      if (!in) return code;
      auto stack = symbolize::build_stack(*in->snapshot, *in->symbolizer);
      std::cout << in->event_name << ": " << in->snapshot->what << "\n";
      if (!o->gdb_only) std::cout << "\n" << symbolize::format_stack_tree(stack);
      if (!o->tree_only) std::cout << "\n" << symbolize::format_stack_gdb(stack);
      std::cout.flush();
      return std::cout ? done(in->log, o->in.strict) : kExitFailed;
    };
  });
}

}  // namespace nestrr::cli
