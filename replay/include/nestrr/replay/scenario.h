// What a recorded run of the core was: variant, seed, workload per CPU,
// iterations and behaviour-changing options. Recorded in Header.scenario so
// replay can re-create the same core from the log alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include "nestrr/core/core.h"
}

#include "nestrr.pb.h"

namespace nestrr::replay {

// Widening: the recorder spins for `nanoseconds` inside the yield point
// `point` (never inside an NMI handler), which keeps the window after that
// point open longer so an NMI lands in it more often. Only timing changes:
// the spin is not a point, so replay needs nothing from it.
struct Widening {
  uint32_t point = CORE_POINT_NONE;  // enum core_point; NONE = no widening
  uint64_t nanoseconds = 0;
};

struct Scenario {
  core_variant variant = CORE_VARIANT_FIXED;
  uint64_t seed = 0;  // jitter of the widening spins (the workloads are fixed)
  std::vector<core_workload_kind> workload;  // index = CPU
  uint64_t iterations = 0;  // per CPU; 0 = until stopped
  std::vector<std::string> options;  // "widen=vmxon:20000", ...
  std::string origin = "record";

  uint32_t cpu_count() const { return static_cast<uint32_t>(workload.size()); }
};

// Workload names as in Scenario.cpu_workload: "idle", "l1", "pal", "remap",
// "nmi".
const char* workload_name(core_workload_kind kind);
bool parse_workload(const std::string& name, core_workload_kind* out);

// The variants whose bug is in L0's handling of NMIs meant for the guest:
// they need a CPU running the nmi workload.
bool variant_needs_guest_nmis(core_variant variant);

// The seed's shape: CPUs 0..n-2 run L1 (guest hypervisor with L2), the last
// CPU runs PAL registrations (each one a quiesce with NMIs to all others),
// or, for the guest-NMI variants, sends NMIs to the L1 CPUs' guests. One CPU
// alone runs L1.
Scenario default_scenario(core_variant variant, uint32_t cpus, uint64_t iterations);

// Parses "widen=vmxon:NS" or "widen=<point id>:NS" ("vmxon" is the point
// between the two VMXON stores, CORE_POINT_VMXON_SET_ROOT). Throws
// std::invalid_argument with the reason.
Widening parse_widening(const std::string& option);
// The scenario's widening (last widen= option), or none.
Widening scenario_widening(const Scenario& s);
// Throws std::invalid_argument on an option this version does not know.
void check_options(const Scenario& s);

// The core configuration the scenario runs (iterations 0 -> unbounded).
core_config to_core_config(const Scenario& s);

nestrr::v1::Scenario to_proto(const Scenario& s);
// Throws std::invalid_argument naming what is wrong (unknown variant or
// workload, no CPUs, too many CPUs, unknown option).
Scenario from_proto(const nestrr::v1::Scenario& p);

}  // namespace nestrr::replay
