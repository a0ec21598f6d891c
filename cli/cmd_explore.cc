// `nestrr explore`: search interleavings of a small scenario of the core
// with the replay scheduler, no log needed; minimize each failing schedule
// and write it as a log that `nestrr replay` reproduces. With --shard, run
// one share of the search and write its result for `nestrr explore-merge`.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "explore_output.h"
#include "scenario_options.h"
#include "nestrr/replay/explore.h"
#include "nestrr/replay/explore_result.h"

namespace nestrr::cli {
namespace {

// Exploration's scenarios: small, every run ends, timing is the search's.
const ScenarioGrammar& explore_grammar() {
  static const ScenarioGrammar g = [] {
    ScenarioGrammar x;
    x.cpus_help =
        "CPUs: CPU 0 runs L1, the others pal (remap for ept01-flush-incomplete, whose bug needs "
        "moved bitmap pages; nmi for the nmi-* variants, whose bugs need guest NMIs)";
    x.run_must_end = true;
    x.widen = false;
    x.defaults = [](core_variant variant, uint32_t cpus, uint64_t iterations) {
      return replay::explore_scenario(variant, cpus, replay::explore_other_workload(variant),
                                      iterations);
    };
    return x;
  }();
  return g;
}

}  // namespace

void register_explore(CLI::App& app, Run& run) {
  struct Opts {
    ScenarioArgs scenario = [] {
      ScenarioArgs a;
      a.iterations = 1;
      return a;
    }();
    std::string strategy = "landing";
    uint32_t bound = 1;
    uint32_t depth = 3;
    uint64_t schedules = 0;
    bool schedules_given = false;
    uint64_t seed = 1;
    bool all = false;
    bool no_check = false;
    bool no_minimize = false;
    uint64_t minimize_budget = 300;
    double time_limit = 0;
    std::string shard;
    std::string result;
    std::string out = "explore.nrr";
    bool out_given = false;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "explore",
      "Search interleavings of a small scenario of the core under the replay scheduler: at\n"
      "every yield point choose which CPU runs and whether a pending NMI lands there. Every\n"
      "run is checked (assertions, deadlocks, the invariants of `nestrr check`); a failing\n"
      "schedule is minimized (fewest deviations from the default schedule: preemptions,\n"
      "late NMIs) and written as a log that `nestrr replay` reproduces. Exit code 6 when\n"
      "something was found, 0 when nothing was.\n"
      "Run i of a search is a function of (scenario, strategy, seed, i): --shard I/N runs\n"
      "the run numbers i % N == I and writes --result; `nestrr explore-merge` combines the\n"
      "shards' results into the whole search's (docs/scale-out.md). A shard exits 0 once its\n"
      "result is written, whatever it found: the merge gives the verdict.");
  add_scenario_options(sub, o->scenario, explore_grammar());
  sub->add_option("--strategy", o->strategy,
                  "landing (each run holds every CPU's NMIs until the CPU parks at one of its "
                  "target landings (yield point, VMX mode); run 0 lists them, later runs cover "
                  "them, rarest first), "
                  "pct (random priorities, depth-1 change points), bounded (every schedule with "
                  "at most --bound preemptions; a late NMI counts as one per point), random "
                  "(uniform choice, the baseline)")
      ->capture_default_str()
      ->check(CLI::IsMember({"landing", "pct", "bounded", "random"}));
  sub->add_option("--bound", o->bound, "bounded: preemptions per schedule")->capture_default_str();
  sub->add_option("--depth", o->depth, "pct: bug depth d (d-1 priority change points)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  sub->add_option("--schedules", o->schedules,
                  "Run numbers 0 .. N-1 (default: 10000; bounded: until the space is exhausted). "
                  "With --shard, N is the whole search's, not the shard's")
      ->each([o](const std::string&) { o->schedules_given = true; });
  sub->add_option("--seed", o->seed, "Seed of landing, pct and random")->capture_default_str();
  sub->add_flag("--all", o->all, "Go on after the first finding (logs: out.nrr, out.2.nrr, ...)");
  sub->add_flag("--no-check", o->no_check, "Do not run the state checker on each run's log");
  sub->add_option("--time-limit", o->time_limit,
                  "Stop after this many seconds (0: none); a result cut short by it depends on "
                  "the machine, unlike --schedules")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--no-minimize", o->no_minimize, "Write failing schedules as found");
  sub->add_option("--minimize-budget", o->minimize_budget,
                  "Candidate schedules minimization may run per finding")
      ->capture_default_str();
  sub->add_option("--shard", o->shard,
                  "I/N: run shard I (0-based) of N of the search; needs --result (default "
                  "explore-shard-I-of-N.json)");
  sub->add_option("--result", o->result,
                  "Write the result (options, counts, findings with their minimized logs) as JSON, "
                  "for `nestrr explore-merge`");
  sub->add_option("-o,--output", o->out,
                  "Where the failing schedule's log goes (with --shard: only when given)")
      ->capture_default_str()
      ->each([o](const std::string&) { o->out_given = true; });
  sub->add_flag("-q,--quiet", o->quiet, "No live progress line");
  sub->callback([&run, o] {
    run = [o]() -> int {
      replay::ExploreOptions opts;
      std::string why;
      auto scenario = parse_scenario(o->scenario, explore_grammar(), &why);
      if (!scenario) {
        spdlog::error("{}", why);
        return kExitUsage;
      }
      opts.scenario = std::move(*scenario);
      if (!o->shard.empty()) {
        try {
          opts.shard = replay::parse_shard(o->shard);
        } catch (const std::invalid_argument& e) {
          spdlog::error("--shard: {}", e.what());
          return kExitUsage;
        }
      }
      const bool sharded = !o->shard.empty();
      std::string result_path = o->result;
      if (sharded && result_path.empty())
        result_path = "explore-shard-" + std::to_string(opts.shard.index) + "-of-" +
                      std::to_string(opts.shard.count) + ".json";
      replay::parse_strategy(o->strategy, &opts.strategy);
      opts.bound = o->bound;
      opts.depth = o->depth;
      opts.seed = o->seed;
      opts.scenario.seed = o->seed;
      opts.all = o->all;
      opts.check = !o->no_check;
      opts.minimize = !o->no_minimize;
      opts.minimize_budget = o->minimize_budget;
      opts.time_limit = std::chrono::milliseconds(static_cast<int64_t>(o->time_limit * 1000));
      opts.schedules = o->schedules_given ? o->schedules
                       : opts.strategy == replay::ExploreStrategy::kBounded ? 0
                                                                            : 10000;
      bool live = !o->quiet && isatty(STDERR_FILENO);
      if (live) {
        opts.progress = [](const replay::ExploreProgress& p) {
          std::fprintf(stderr, "\r%6.1fs  %llu schedules  %llu steps  %llu found   ",
                       static_cast<double>(p.elapsed.count()) / 1000,
                       static_cast<unsigned long long>(p.schedules),
                       static_cast<unsigned long long>(p.steps),
                       static_cast<unsigned long long>(p.findings));
        };
      }
      replay::ExploreResult r;
      try {
        r = replay::explore(opts);
      } catch (const std::exception& e) {
        if (live) std::fputc('\n', stderr);
        spdlog::error("{}", e.what());
        return kExitFailed;
      }
      if (live) std::fputc('\n', stderr);
      nestrr::v1::ExploreRun result = replay::to_proto(opts, r);
      if (!result_path.empty() && !write_file(result_path, replay::to_json(result))) {
        spdlog::error("could not write {}", result_path);
        return kExitFailed;
      }
      std::string logs = sharded && !o->out_given ? "" : o->out;
      if (!report_search(result, logs, stdout)) return kExitFailed;
      if (!result_path.empty()) std::printf("result written to %s\n", result_path.c_str());
      if (sharded) return kExitOk;  // the merge gives the verdict
      return result.finding_size() > 0 ? kExitInvariantViolated : kExitOk;
    };
  });
}

}  // namespace nestrr::cli
