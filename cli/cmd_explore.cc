// `nestrr explore`: search interleavings of a small scenario of the core
// with the replay scheduler, no log needed; write the first failing
// schedule as a log that `nestrr replay` reproduces.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.h"
#include "workload_option.h"
#include "nestrr/replay/explore.h"

namespace nestrr::cli {
namespace {

bool write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// out.nrr -> out.2.nrr for the second finding, and so on.
std::string numbered(const std::string& path, size_t n) {
  if (n == 0) return path;
  size_t dot = path.rfind('.');
  size_t slash = path.rfind('/');
  std::string tag = "." + std::to_string(n + 1);
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + tag;
  return path.substr(0, dot) + tag + path.substr(dot);
}

}  // namespace

void register_explore(CLI::App& app, Run& run) {
  struct Opts {
    std::string variant = "vmxon-two-flags";
    uint32_t cpus = 2;
    std::vector<std::string> workloads;
    uint64_t iterations = 1;
    std::string strategy = "pct";
    uint32_t bound = 1;
    uint32_t depth = 3;
    uint64_t schedules = 0;
    bool schedules_given = false;
    uint64_t seed = 1;
    bool all = false;
    bool no_check = false;
    std::string out = "explore.nrr";
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "explore",
      "Search interleavings of a small scenario of the core under the replay scheduler: at\n"
      "every yield point choose which CPU runs and whether a pending NMI lands there. Every\n"
      "run is checked (assertions, deadlocks, the invariants of `nestrr check`); the first\n"
      "failing schedule is written as a log that `nestrr replay` reproduces. Exit code 6\n"
      "when something was found, 0 when nothing was.");
  sub->add_option("--variant", o->variant, "ept01-flush-incomplete, vmxon-two-flags, nmi-inject-unchecked, nmi-vmcs-overwrite or fixed")
      ->capture_default_str();
  sub->add_option("--cpus", o->cpus, "CPUs: CPU 0 runs L1, the others pal (remap for "
                                     "ept01-flush-incomplete, whose bug needs moved bitmap pages; "
                                     "nmi for the nmi-* variants, whose bugs need guest NMIs)")
      ->capture_default_str()
      ->check(CLI::Range(1, CORE_MAX_CPUS));
  sub->add_option("--workload", o->workloads,
                  "Workload per CPU, in CPU order (l1, pal, remap, nmi, idle), replacing the default; "
                  "comma-separated or repeated; sets the CPU count")
      ->delimiter(',');
  sub->add_option("--iterations", o->iterations, "Workload iterations per CPU (> 0)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--strategy", o->strategy,
                  "pct (random priorities, depth-1 change points), bounded (every schedule with "
                  "at most --bound preemptions; a late NMI counts as one per point), random "
                  "(uniform choice, the baseline)")
      ->capture_default_str()
      ->check(CLI::IsMember({"pct", "bounded", "random"}));
  sub->add_option("--bound", o->bound, "bounded: preemptions per schedule")->capture_default_str();
  sub->add_option("--depth", o->depth, "pct: bug depth d (d-1 priority change points)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  sub->add_option("--schedules", o->schedules,
                  "Stop after this many schedules (default: pct/random 10000; bounded: until the "
                  "space is exhausted)")
      ->each([o](const std::string&) { o->schedules_given = true; });
  sub->add_option("--seed", o->seed, "Seed of pct and random")->capture_default_str();
  sub->add_flag("--all", o->all, "Go on after the first finding (logs: out.nrr, out.2.nrr, ...)");
  sub->add_flag("--no-check", o->no_check, "Do not run the state checker on each run's log");
  sub->add_option("-o,--output", o->out, "Where the failing schedule's log goes")
      ->capture_default_str();
  sub->add_flag("-q,--quiet", o->quiet, "No live progress line");
  sub->callback([&run, o] {
    run = [o]() -> int {
      core_variant variant;
      if (!core_variant_parse(o->variant.data(), o->variant.size(), &variant)) {
        spdlog::error("unknown variant '{}'", o->variant);
        return kExitUsage;
      }
      replay::ExploreOptions opts;
      opts.scenario = replay::explore_scenario(variant, o->cpus,
                                               replay::explore_other_workload(variant),
                                               o->iterations);
      if (std::string why; !apply_workloads(o->workloads, &opts.scenario, &why)) {
        spdlog::error("{}", why);
        return kExitUsage;
      }
      replay::parse_strategy(o->strategy, &opts.strategy);
      opts.bound = o->bound;
      opts.depth = o->depth;
      opts.seed = o->seed;
      opts.scenario.seed = o->seed;
      opts.all = o->all;
      opts.check = !o->no_check;
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

      std::string how = o->strategy;
      if (opts.strategy == replay::ExploreStrategy::kBounded)
        how += " (bound " + std::to_string(opts.bound) + ")";
      else
        how += (opts.strategy == replay::ExploreStrategy::kPct
                    ? " (depth " + std::to_string(opts.depth) + ", seed "
                    : " (seed ") +
               std::to_string(opts.seed) + ")";
      std::string ws;
      for (auto w : opts.scenario.workload) ws += (ws.empty() ? "" : ",") + std::string(replay::workload_name(w));
      double secs = std::chrono::duration<double>(r.elapsed).count();
      std::printf("%s, %s x%llu, %s: %llu schedules in %.2fs (%.0f schedules/s)%s\n",
                  core_variant_name(variant), ws.c_str(),
                  static_cast<unsigned long long>(opts.scenario.iterations), how.c_str(),
                  static_cast<unsigned long long>(r.schedules), secs, r.schedules_per_second(),
                  r.exhausted ? ", the whole bounded space" : "");
      for (size_t i = 0; i < r.findings.size(); ++i) {
        const auto& f = r.findings[i];
        std::string path = numbered(o->out, i);
        bool ok = write_file(path, f.log);
        std::printf("found in schedule %llu (%llu decisions): %s\n  %s %s\n",
                    static_cast<unsigned long long>(f.schedule),
                    static_cast<unsigned long long>(f.steps), f.summary.c_str(),
                    ok ? "log written to" : "could not write", path.c_str());
        if (!ok) return kExitFailed;
      }
      if (r.findings.empty()) {
        std::printf("nothing found%s\n",
                    r.exhausted ? ": every schedule within the bound is clean" : "");
        return kExitOk;
      }
      return kExitInvariantViolated;
    };
  });
}

}  // namespace nestrr::cli
