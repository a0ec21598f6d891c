// Recordings shared by the replay tests: made once per test binary, small
// (the race widened, a few iterations), seeded.
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "nestrr/eventlog/log.h"
#include "nestrr/replay/recorder.h"

namespace nestrr::replay::testing {

struct Recording {
  RecordResult result;
  std::string bytes;
  eventlog::Log log() const {
    std::istringstream in(bytes);
    return eventlog::read_log(in);
  }
};

// Records `o` (1 MiB rings) into memory.
inline Recording recording_of(RecordOptions o) {
  o.ring_bytes = 1u << 20;
  std::ostringstream out;
  Recording r;
  r.result = record(o, out);
  r.bytes = out.str();
  return r;
}

inline Recording record_scenario(core_variant variant, uint64_t iterations,
                                 std::vector<std::string> options = {}) {
  RecordOptions o;
  o.scenario = default_scenario(variant, 2, iterations);
  o.scenario.seed = 7;
  o.scenario.options = std::move(options);
  o.time_limit = std::chrono::milliseconds(5000);
  return recording_of(std::move(o));
}

// The default scenario of `variant` on `cpus` CPUs, unwidened, until the
// time limit (or an assertion).
inline Recording record_for(core_variant variant, uint32_t cpus, std::chrono::milliseconds limit) {
  RecordOptions o;
  o.scenario = default_scenario(variant, cpus, 0);
  o.time_limit = limit;
  return recording_of(std::move(o));
}

// The default scenario of `variant` on `cpus` CPUs, unwidened, until every
// CPU has done `iterations` of its workload: a log whose length does not
// depend on how fast (or how loaded) the machine is.
inline Recording record_iterations(core_variant variant, uint32_t cpus, uint64_t iterations) {
  RecordOptions o;
  o.scenario = default_scenario(variant, cpus, iterations);
  o.time_limit = std::chrono::minutes(5);
  return recording_of(std::move(o));
}

// The VMXON race, widened so it hits within the first iterations.
inline const Recording& vmxon_race() {
  static const Recording r =
      record_scenario(CORE_VARIANT_VMXON_TWO_FLAGS, 0, {"widen=vmxon:20000"});
  return r;
}

}  // namespace nestrr::replay::testing
