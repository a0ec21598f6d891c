// The --workload option shared by `record` and `explore`: one workload name
// per CPU, replacing the scenario's defaults.
#pragma once

#include <string>
#include <vector>

#include "nestrr/replay/scenario.h"

namespace nestrr::cli {

// Replaces scenario->workload with `names` when given. False (and a message
// naming the problem in *error) on an unknown name or too many CPUs.
bool apply_workloads(const std::vector<std::string>& names, replay::Scenario* scenario,
                     std::string* error);

}  // namespace nestrr::cli
