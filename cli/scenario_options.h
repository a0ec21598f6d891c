// The scenario grammar of `record`, `explore` and `testbox`: one
// declaration of --variant, --cpus, --workload, --iterations and --widen,
// and one parser from those words to a replay::Scenario. What differs per
// command (the default workload, whether a run must end, whether widening
// applies) is a ScenarioGrammar value, not another copy of the options.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nestrr/replay/scenario.h"

namespace nestrr::cli {

// The words as given on the command line.
struct ScenarioArgs {
  std::string variant = "vmxon-two-flags";
  uint32_t cpus = 2;
  std::vector<std::string> workloads;  // per CPU; replaces the default, sets the CPU count
  uint64_t iterations = 0;             // per CPU; 0 = until stopped
  std::vector<std::string> widen;      // POINT:NS
};

// The scenario each command runs for a variant and CPU count, before
// --workload replaces what the CPUs run.
using ScenarioDefaults = replay::Scenario (*)(core_variant variant, uint32_t cpus,
                                              uint64_t iterations);

struct ScenarioGrammar {
  uint32_t max_cpus = CORE_MAX_CPUS;
  const char* cpus_help = "CPUs (the last one registers PALs, the others run L1)";
  bool run_must_end = false;  // --iterations must be > 0 (explore)
  bool widen = true;          // --widen is offered (not by explore: timing is its search)
  ScenarioDefaults defaults = &replay::default_scenario;
};

// Declares the options on `sub`, writing into `args` (which must outlive
// the parse).
void add_scenario_options(CLI::App* sub, ScenarioArgs& args, const ScenarioGrammar& grammar);

// The scenario the words name: the variant's defaults for that many CPUs,
// the workloads replacing them, the widenings as options (checked). On a
// bad word, nullopt and *error naming the option and what it accepts.
std::optional<replay::Scenario> parse_scenario(const ScenarioArgs& args,
                                               const ScenarioGrammar& grammar, std::string* error);

}  // namespace nestrr::cli
