// Scenario -> nestrr_scenario for the logger's header.
#include "scenario_header.h"

namespace nestrr::replay {

ScenarioHeader::ScenarioHeader(const Scenario& s) : proto_(to_proto(s)) {
  for (const auto& w : proto_.cpu_workload()) workloads_.push_back(w.c_str());
  for (const auto& o : proto_.option()) options_.push_back(o.c_str());
  c_.variant = proto_.variant().c_str();
  c_.seed = proto_.seed();
  c_.cpu_workload = workloads_.data();
  c_.cpu_workload_count = static_cast<uint32_t>(workloads_.size());
  c_.iterations = proto_.iterations();
  c_.option = options_.data();
  c_.option_count = static_cast<uint32_t>(options_.size());
  c_.origin = proto_.origin().c_str();
}

}  // namespace nestrr::replay
