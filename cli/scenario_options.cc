// The scenario grammar (see scenario_options.h).
#include "scenario_options.h"

#include <stdexcept>

namespace nestrr::cli {
namespace {

constexpr const char* kVariants =
    "ept01-flush-incomplete, vmxon-two-flags, nmi-inject-unchecked, nmi-vmcs-overwrite or fixed";
constexpr const char* kWorkloads = "l1, pal, remap, nmi, idle";

}  // namespace

void add_scenario_options(CLI::App* sub, ScenarioArgs& args, const ScenarioGrammar& grammar) {
  sub->add_option("--variant", args.variant, std::string("Core variant: ") + kVariants)
      ->capture_default_str();
  sub->add_option("--cpus", args.cpus, grammar.cpus_help)
      ->capture_default_str()
      ->check(CLI::Range(1u, grammar.max_cpus));
  sub->add_option("--workload", args.workloads,
                  "Workload per CPU, in CPU order, replacing the default: l1 (guest hypervisor "
                  "running L2), pal (TrustVisor-like PAL registrations), remap (L0 moving L1's "
                  "bitmap pages), nmi (a guest CPU sending NMIs to the L1 CPUs' guests, each "
                  "acknowledged), idle. Comma-separated or repeated; sets the CPU count")
      ->delimiter(',');
  auto* it = sub->add_option("--iterations", args.iterations,
                             grammar.run_must_end ? "Workload iterations per CPU (> 0)"
                                                  : "Workload iterations per CPU (0: until stopped)")
                 ->capture_default_str();
  if (grammar.run_must_end) it->check(CLI::PositiveNumber);
  if (grammar.widen)
    sub->add_option("--widen", args.widen,
                    "Widen a race window: POINT:NS spins NS nanoseconds at a yield point "
                    "(\"vmxon\" = between the two VMXON stores); recorded in the log");
}

std::optional<replay::Scenario> parse_scenario(const ScenarioArgs& args,
                                               const ScenarioGrammar& grammar, std::string* error) {
  core_variant variant;
  if (!core_variant_parse(args.variant.data(), args.variant.size(), &variant)) {
    *error = "--variant: unknown variant '" + args.variant + "' (" + kVariants + ")";
    return std::nullopt;
  }
  if (args.cpus < 1 || args.cpus > grammar.max_cpus) {
    *error = "--cpus: " + std::to_string(args.cpus) + " is not in 1.." + std::to_string(grammar.max_cpus);
    return std::nullopt;
  }
  if (grammar.run_must_end && args.iterations == 0) {
    *error = "--iterations: must be > 0";
    return std::nullopt;
  }
  replay::Scenario s = grammar.defaults(variant, args.cpus, args.iterations);
  if (!args.workloads.empty()) {
    if (args.workloads.size() > grammar.max_cpus) {
      *error = "--workload: " + std::to_string(args.workloads.size()) + " workloads given; at most " +
               std::to_string(grammar.max_cpus) + " CPUs";
      return std::nullopt;
    }
    std::vector<core_workload_kind> kinds;
    for (const auto& name : args.workloads) {
      core_workload_kind kind;
      if (!replay::parse_workload(name, &kind)) {
        *error = "--workload: unknown workload '" + name + "' (" + kWorkloads + ")";
        return std::nullopt;
      }
      kinds.push_back(kind);
    }
    s.workload = std::move(kinds);
  }
  for (const auto& w : args.widen) s.options.push_back("widen=" + w);
  try {
    replay::check_options(s);
  } catch (const std::invalid_argument& e) {
    *error = std::string("--widen: ") + e.what();
    return std::nullopt;
  }
  return s;
}

}  // namespace nestrr::cli
