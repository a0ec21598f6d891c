// A Scenario as the logger's Header.scenario (nestrr_scenario): the C view
// points into strings this object owns, so it must outlive the logger.
#pragma once

#include <vector>

extern "C" {
#include "nestrr/logger.h"
}

#include "nestrr/replay/scenario.h"

namespace nestrr::replay {

class ScenarioHeader {
 public:
  explicit ScenarioHeader(const Scenario& s);
  ScenarioHeader(const ScenarioHeader&) = delete;
  ScenarioHeader& operator=(const ScenarioHeader&) = delete;
  const nestrr_scenario* get() const { return &c_; }

 private:
  nestrr::v1::Scenario proto_;
  std::vector<const char*> workloads_, options_;
  nestrr_scenario c_{};
};

}  // namespace nestrr::replay
