// `nestrr core`: an ELF core file of the logged machine at an event, for
// `gdb IMAGE core.elf` (info threads, bt, frame, print).
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/symbolize/core_file.h"
#include "stack_input.h"

namespace nestrr::cli {

namespace {

const char* what_name(symbolize::CoreRegisters w) {
  switch (w) {
    case symbolize::CoreRegisters::kFull: return "registers";
    case symbolize::CoreRegisters::kRipOnly: return "RIP only";
    case symbolize::CoreRegisters::kNone: return "no registers";
  }
  return "?";
}

}  // namespace

void register_core(CLI::App& app, Run& run) {
  struct Opts {
    StackInputOptions in;
    uint64_t event = 0;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "core", "Write an ELF core file of the machine at the assertion failure (or --event N) for gdb");
  sub->add_option("log", o->in.log, "Log file (- for stdin)")->required();
  sub->add_option("--elf", o->in.elf, "ELF file of a logged module (repeatable), matched by build-id");
  sub->add_option("--debug-dir", o->in.debug_dirs, "Find files by build-id in DIR/.build-id (repeatable)");
  auto* ev = sub->add_option("--event", o->event,
                             "Event index in the merged timeline (as `nestrr dump` lists it); default: the "
                             "first assertion failure");
  sub->add_option("-o,--output", o->out, "Core file to write")->required();
  add_strict_flag(sub, o->in.strict);
  sub->footer(
      "One thread per CPU (LWP n is cpu n-1), the event's CPU first so gdb selects it, with the\n"
      "latest registers the log has for that CPU at or before the event; the captured stack\n"
      "bytes and memory snapshots as memory. Open it with `gdb IMAGE core.elf`.");
  sub->callback([&run, o, ev] {
    run = [o, ev]() -> int {
      int code = 0;
      auto in = open_stack_input(o->in, false, code);
      if (!in) return code;
      eventlog::Timeline timeline = eventlog::merge(in->log);
      size_t index = 0;
      if (ev->count()) {
        if (o->event >= timeline.order.size()) {
          spdlog::error("no event {}: the log has {} events", o->event, timeline.order.size());
          return kExitUsage;
        }
        index = o->event;
      } else {
        bool found = false;
        for (size_t i = 0; i < timeline.order.size() && !found; i++)
          if (in->log.at(timeline.order[i]).record.has_assertion_failure()) index = i, found = true;
        if (!found) {
          spdlog::error("the log has no assertion failure; choose the moment with --event N");
          return kExitUsage;
        }
      }
      symbolize::CoreImage image;
      try {
        image = symbolize::build_core_image(in->log, timeline, index, *in->symbolizer);
        symbolize::write_core_file(image, o->out);
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return kExitFailed;
      }
      size_t bytes = 0;
      for (const auto& m : image.memory) bytes += m.bytes.size();
      std::cerr << "wrote " << o->out << ": " << image.threads.size() << " threads, " << image.memory.size()
                << " memory segments (" << bytes << " bytes)\n";
      for (const auto& t : image.threads) {
        std::cerr << "  LWP " << t.lwp << " = cpu" << t.cpu << ": " << what_name(t.what) << " from " << t.source;
        if (t.what != symbolize::CoreRegisters::kNone)
          std::cerr << ", rip " << in->symbolizer->lookup(t.registers.rip()).function_offset();
        std::cerr << "\n";
        if (!t.rip_note.empty()) std::cerr << "    " << t.rip_note << "\n";
      }
      return done(in->log, o->in.strict);
    };
  });
}

}  // namespace nestrr::cli
