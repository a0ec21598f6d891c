// `nestrr listing`: disassembly of the function a record stopped in, with
// its source lines interleaved and an arrow on the interrupted instruction.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/symbolize/listing.h"
#include "stack_input.h"

namespace nestrr::cli {

void register_listing(CLI::App& app, Run& run) {
  struct Opts {
    StackInputOptions in;
    uint64_t event = 0;
    std::string addr, source_dir;
    bool intel = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "listing", "Disassembly of the function around a record's RIP (or --addr) with source lines (capstone)");
  sub->add_option("log", o->in.log, "Log file (- for stdin)")->required();
  sub->add_option("--elf", o->in.elf, "ELF file of a logged module (repeatable), matched by build-id");
  sub->add_option("--debug-dir", o->in.debug_dirs, "Find files by build-id in DIR/.build-id (repeatable)");
  auto* ev = sub->add_option("--event", o->event,
                             "Event index in the merged timeline (default: the assertion failure)");
  auto* ad = sub->add_option("--addr", o->addr, "Hex address to list instead of a record's RIP");
  ev->excludes(ad);
  sub->add_option("--source-dir", o->source_dir, "Root of the source tree, to show source lines");
  sub->add_flag("--intel", o->intel, "Intel syntax (default AT&T)");
  add_strict_flag(sub, o->in.strict);
  sub->callback([&run, o, ev, ad] {
    run = [o, ev, ad]() -> int {
      if (ev->count()) o->in.event = o->event;
      symbolize::ListingOptions lo;
      lo.intel = o->intel;
      if (!o->source_dir.empty()) lo.source_dir = o->source_dir;
      uint64_t pc = 0;
      if (ad->count()) {
        try {
          size_t used = 0;
          pc = std::stoull(o->addr, &used, 16);
          if (used != o->addr.size()) throw std::invalid_argument(o->addr);
        } catch (const std::exception&) {
          spdlog::error("not a hex address: {}", o->addr);
          return kExitUsage;
        }
      }
      int code = 0;
      auto in = open_stack_input(o->in, !ad->count(), code);
      if (!in) return code;
      if (in->snapshot) {
        pc = in->snapshot->pc;
        lo.pc_is_return_address = in->snapshot->pc_is_return_address;
        std::cout << in->event_name << ": " << in->snapshot->what << "\n";
      }
      try {
        std::cout << symbolize::format_listing(*in->symbolizer, pc, lo);
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return kExitFailed;
      }
      std::cout.flush();
      return std::cout ? done(in->log, o->in.strict) : kExitFailed;
    };
  });
}

}  // namespace nestrr::cli
