// `nestrr record`: run the core on host threads with signal NMIs and log it.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.h"
#include "scenario_options.h"
#include "nestrr/replay/recorder.h"

namespace nestrr::cli {
namespace {

// SIGINT/SIGTERM end the recording as its time limit would: every CPU is
// cut at its next yield point and the trailers are written.
std::atomic<bool> g_interrupt{false};
void on_interrupt(int) { g_interrupt.store(true); }

}  // namespace

void register_record(CLI::App& app, Run& run) {
  struct Opts {
    ScenarioArgs scenario;
    uint64_t seed = 0;
    double time_limit_s = 10;
    std::string out;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "record", "Run the nested-VMX core on one host thread per CPU, NMIs as signals, and log it");
  add_scenario_options(sub, o->scenario, ScenarioGrammar{});
  sub->add_option("--seed", o->seed, "Seed of the widening jitter")->capture_default_str();
  sub->add_option("--time-limit", o->time_limit_s,
                  "Stop after this many seconds (Ctrl-C or SIGTERM stops the same way: each CPU "
                  "at its next yield point, with the log complete and replayable)")
      ->capture_default_str();
  sub->add_option("-o,--output", o->out, "Log file to write (.nrr)")->required();
  sub->add_flag("-q,--quiet", o->quiet, "No live progress line");
  sub->callback([&run, o] {
    run = [o]() -> int {
      replay::RecordOptions opts;
      std::string why;
      auto scenario = parse_scenario(o->scenario, ScenarioGrammar{}, &why);
      if (!scenario) {
        spdlog::error("{}", why);
        return kExitUsage;
      }
      opts.scenario = std::move(*scenario);
      opts.scenario.seed = o->seed;
      opts.time_limit = std::chrono::milliseconds(static_cast<int64_t>(o->time_limit_s * 1000));
      bool live = !o->quiet && isatty(STDERR_FILENO);
      if (live) {
        opts.progress = [](const replay::RecordProgress& p) {
          std::string its;
          for (size_t i = 0; i < p.iterations.size(); ++i)
            its += " cpu" + std::to_string(i) + ":" + std::to_string(p.iterations[i]);
          std::fprintf(stderr, "\r%6.1fs  iterations%s  nmis %llu  %llu bytes   ",
                       static_cast<double>(p.elapsed.count()) / 1000, its.c_str(),
                       static_cast<unsigned long long>(p.nmis),
                       static_cast<unsigned long long>(p.bytes));
        };
      }
      std::ofstream out(o->out, std::ios::binary | std::ios::trunc);
      if (!out) {
        spdlog::error("cannot write {}", o->out);
        return kExitBadInput;
      }
      opts.interrupt = &g_interrupt;
      auto old_int = std::signal(SIGINT, on_interrupt);
      auto old_term = std::signal(SIGTERM, on_interrupt);
      replay::RecordResult r = replay::record(opts, out);
      std::signal(SIGINT, old_int);
      std::signal(SIGTERM, old_term);
      if (live) std::fputc('\n', stderr);
      if (!out) {
        spdlog::error("writing {} failed", o->out);
        return kExitFailed;
      }
      spdlog::info("{}: {:.1f}s, {} NMIs, {} bytes written to {}", replay::end_name(r.end),
                   static_cast<double>(r.final.elapsed.count()) / 1000, r.final.nmis,
                   r.final.bytes, o->out);
      if (r.assertion)
        spdlog::info("cpu{}: assertion '{}' failed at {}:{} (progress {})", r.assertion->cpu,
                     r.assertion->condition, r.assertion->file, r.assertion->line,
                     r.assertion->progress);
      if (r.records_dropped) {
        spdlog::error("the logger dropped {} records: the log cannot be replayed", r.records_dropped);
        return kExitFailed;
      }
      return kExitOk;
    };
  });
}

}  // namespace nestrr::cli
