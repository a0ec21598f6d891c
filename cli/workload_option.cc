// The --workload option (see workload_option.h).
#include "workload_option.h"

namespace nestrr::cli {

bool apply_workloads(const std::vector<std::string>& names, replay::Scenario* scenario,
                     std::string* error) {
  if (names.empty()) return true;
  if (names.size() > CORE_MAX_CPUS) {
    *error = std::to_string(names.size()) + " workloads given; at most " + std::to_string(CORE_MAX_CPUS) +
             " CPUs";
    return false;
  }
  std::vector<core_workload_kind> kinds;
  for (const auto& name : names) {
    core_workload_kind kind;
    if (!replay::parse_workload(name, &kind)) {
      *error = "unknown workload '" + name + "' (l1, pal, remap, nmi, idle)";
      return false;
    }
    kinds.push_back(kind);
  }
  scenario->workload = std::move(kinds);
  return true;
}

}  // namespace nestrr::cli
