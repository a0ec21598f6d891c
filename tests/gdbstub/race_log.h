// The seed's race as a log the debugger tests share: nestrr's core,
// variant vmxon-two-flags, recorded until cpu_has_current_vmcs12(vcpu)
// fails (widened, so that it fails at once), and the source lines the
// tests break at, found in the core's source rather than typed.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "nestrr/eventlog/log.h"
#include "run_util.h"

namespace nestrr::gdbstub::testing {

struct Race {
  std::string log;
  uint32_t failing_cpu = 0;
  bool ok = false;
};

inline const Race& race() {
  static const Race r = [] {
    Race r;
    r.log = (temp_dir() / "race.nrr").string();
    int status = -1;
    std::string out = run(quote(NESTRR_BIN) + " record --variant vmxon-two-flags --seed 7 --widen vmxon:20000 -q -o " +
                              quote(r.log),
                          &status);
    eventlog::Log log = eventlog::read_log_file(r.log);
    for (const auto& s : log.streams)
      for (const auto& e : s.events)
        if (e.record.has_assertion_failure() &&
            e.record.assertion_failure().condition() == "cpu_has_current_vmcs12(vcpu)") {
          r.failing_cpu = e.cpu;
          r.ok = true;
        }
    EXPECT_TRUE(r.ok) << out;
    return r;
  }();
  return r;
}

// `target remote | nestrr gdbserver RACE --live --stdio`.
inline std::string live_target(const Race& r) {
  return "target remote | " + quote(NESTRR_BIN) + " gdbserver " + quote(r.log) + " --live --stdio";
}

// The number of the first line of the core's `file` holding `text`.
inline int core_line(const std::string& file, const std::string& text) {
  std::ifstream in(std::string(NESTRR_SOURCE_DIR) + "/hypervisor/core/src/" + file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (line.find(text) != std::string::npos) return n;
  ADD_FAILURE() << "no '" << text << "' in " << file;
  return 0;
}

}  // namespace nestrr::gdbstub::testing
