// `nestrr testbox`: run the bare-metal image under QEMU and capture its log.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "capture_progress.h"
#include "commands.h"
#include "scenario_options.h"
#include "nestrr/symbolize/module_set.h"
#include "nestrr/testbox/run.h"

namespace nestrr::cli {
namespace {

// The log's module table must name the image that ran (its build-id).
void check_module(const eventlog::Log& log, const std::string& image) {
  if (!log.header && log.event_count() == 0) {
    spdlog::info("the capture holds console text only (the image ran no logger)");
    return;
  }
  if (!log.header || log.header->module_size() == 0) {
    spdlog::warn("the captured log has no module table");
    return;
  }
  std::string file_id = symbolize::read_build_id(image);
  const auto& m = log.header->module(0);
  if (m.build_id() != file_id)
    spdlog::warn("module {} in the log has build-id {}, but {} has {}", m.name(),
                 symbolize::hex(m.build_id()), image, symbolize::hex(file_id));
  else
    spdlog::info("module table: {} build-id {} load bias {:#x}", m.name(),
                 symbolize::hex(m.build_id()), m.load_bias());
}

// The image runs at most 8 CPUs of the core (QEMU gets one more).
const ScenarioGrammar& testbox_grammar() {
  static const ScenarioGrammar g = [] {
    ScenarioGrammar x;
    x.max_cpus = 8;
    x.cpus_help = "CPUs running the core (the last registers PALs)";
    return x;
  }();
  return g;
}

}  // namespace

void register_testbox(CLI::App& app, Run& run) {
  struct Opts {
    testbox::TestboxOptions t;
    ScenarioArgs scenario;
    std::string image = testbox::default_image().string();
    double timeout_s = 60;
    std::optional<double> time_limit_s;
    bool no_pace = false;
    uint16_t gdb_port = 0;
    std::string out;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "testbox",
      "Boot the bare-metal testbox image under qemu-system-x86_64 (TCG, one more CPU than "
      "--cpus: the console CPU) running the nested-VMX core, and capture its COM1 log");
  add_scenario_options(sub, o->scenario, testbox_grammar());
  sub->add_option("--seed", o->t.seed, "Seed of the widening jitter")->capture_default_str();
  sub->add_flag("--paced", o->t.paced,
                "Lose nothing (the default): a CPU whose log ring is over half full waits at its "
                "next yield point until the console CPU has drained it, so the log replays");
  sub->add_flag("--no-pace", o->no_pace,
                "Never wait for the UART: a CPU that outruns it loses records (counted in the log; "
                "such a log does not replay), the timing is the least disturbed");
  sub->add_flag("--flight", o->t.flight,
                "Flight recorder: keep the last records per CPU, written at the end");
  sub->add_option("--append", o->t.extra_append,
                  "More words for the image's command line (hypervisor/testbox/README.md), e.g. "
                  "bench=logger-cost; repeatable");
  sub->add_option("--timeout", o->timeout_s, "Kill QEMU after this many seconds")
      ->capture_default_str();
  sub->add_option("--time-limit", o->time_limit_s,
                  "Have the image stop every CPU at its next yield point after this many seconds "
                  "and end its log, which then replays (default: three quarters of --timeout, at "
                  "most --timeout - 5)");
  sub->add_option("--image", o->image, "The testbox ELF (default: the one this build made, "
                                       "or $NESTRR_TESTBOX_IMAGE)")
      ->capture_default_str();
  sub->add_option("--qemu", o->t.qemu, "QEMU binary")->capture_default_str();
  sub->add_option("--gdb", o->gdb_port,
                  "Start QEMU's gdbstub on 127.0.0.1:PORT with the CPUs stopped until gdb "
                  "continues");
  sub->add_option("-o,--output", o->out, "Log file to write (.nrr)")->required();
  sub->add_flag("-q,--quiet", o->quiet, "No live progress line");
  sub->footer(
      "Exit status: 0 when the run ended (assertion failed, completed, the time limit or the\n"
      "timeout passed; the status line says which), 1 when the image panicked or QEMU failed.");
  sub->callback([&run, o] {
    run = [o]() -> int {
      // Checked here, before QEMU starts; the image gets the same words on
      // its command line and parses them with the same C parsers.
      if (std::string why; !parse_scenario(o->scenario, testbox_grammar(), &why)) {
        spdlog::error("{}", why);
        return kExitUsage;
      }
      o->t.variant = o->scenario.variant;
      o->t.cpus = o->scenario.cpus;
      o->t.workload = o->scenario.workloads;
      o->t.iterations = o->scenario.iterations;
      o->t.widen = o->scenario.widen;
      o->t.image = o->image;
      if (o->no_pace) o->t.paced = false;
      o->t.timeout = std::chrono::milliseconds(static_cast<int64_t>(o->timeout_s * 1000));
      if (o->time_limit_s)
        o->t.time_limit = std::chrono::milliseconds(static_cast<int64_t>(*o->time_limit_s * 1000));
      if (o->gdb_port) o->t.gdb_port = o->gdb_port;
      o->t.progress = capture_progress_line(o->quiet);
      if (o->gdb_port) spdlog::info("QEMU waits for gdb: target remote 127.0.0.1:{}", o->gdb_port);
      testbox::TestboxResult r = testbox::run_testbox(o->t, o->out);
      end_capture_progress_line(o->t.progress);
      spdlog::info("{}: QEMU status {}, {} bytes captured into {}", testbox::end_name(r.end),
                   r.qemu_status, r.bytes, o->out);
      for (const auto& line : r.log.console) {
        const std::string& text = line.record.console_text().text();
        if (text.find("assertion") != std::string::npos || text.find("bad command") != std::string::npos ||
            text.find("exception") != std::string::npos || text.find("did not") != std::string::npos ||
            text.find("logger cost") != std::string::npos)
          spdlog::info("console: {}", text);
      }
      check_module(r.log, o->image);
      switch (r.end) {
        case testbox::TestboxResult::End::kAssertion:
        case testbox::TestboxResult::End::kCompleted:
        case testbox::TestboxResult::End::kTimeLimit:
        case testbox::TestboxResult::End::kTimeout: return kExitOk;
        case testbox::TestboxResult::End::kPanic:
          spdlog::error("the testbox image panicked (see the console lines in {})", o->out);
          return kExitFailed;
        case testbox::TestboxResult::End::kQemuFailed:
          spdlog::error("QEMU failed (status {}): {}", r.qemu_status, r.qemu_stderr);
          return kExitFailed;
      }
      return kExitFailed;
    };
  });
}

}  // namespace nestrr::cli
