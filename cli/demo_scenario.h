// The demo's two-CPU scenario: CPU 0 runs L1's VMXON..VMLAUNCH and then L2,
// CPU 1 registers a PAL, which changes EPT01 through a quiesce (NMI to
// CPU 0, which flushes). Real threads, real TSC, the real logger.
#pragma once

#include <cstdint>
#include <string>

namespace nestrr::cli {

struct ScenarioResult {
  std::string stream;      // framed log with console text, as a UART would carry it
  uint64_t dropped = 0;    // records the logger dropped (ring full)
};

// Runs the scenario with `l2_exits` VM exits of L2 on CPU 0 and `pals`
// PAL registrations on CPU 1.
ScenarioResult run_quiesce_scenario(uint32_t l2_exits, uint32_t pals);

}  // namespace nestrr::cli
