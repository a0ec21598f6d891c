// What replay must reproduce, taken from a log: the scenario, each CPU's
// records (normalized for comparison), where each NMI landed, and the
// order in which CPUs took each lock.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/replay/scenario.h"

namespace nestrr::replay {

struct ExpectedNmi {
  uint64_t progress = 0;  // NmiReceived.progress
  uint32_t source = 0;
  uint64_t index = 0;     // of its NmiReceived record in the CPU's stream
};

struct LockTurn {
  uint32_t cpu = 0;
  uint64_t progress = 0;
  uint64_t index = 0;     // of the SyncPoint record in the CPU's stream
};

struct ExpectedCpu {
  std::vector<nestrr::v1::Record> records;  // normalized
  std::vector<uint64_t> seqs;
  std::vector<uint64_t> tscs;               // recorded TSC (scheduling hint)
  std::vector<ExpectedNmi> nmis;            // in delivery order
};

struct ExpectedLog {
  Scenario scenario;
  std::vector<ExpectedCpu> cpus;
  // Per lock id, acquisitions in recorded order (TSC order: a release is
  // logged before the lock is given back, an acquisition after it is
  // taken, so the clock order of two acquisitions is their real order).
  std::map<uint32_t, std::vector<LockTurn>> lock_order;
};

// Throws std::invalid_argument when the log cannot be replayed.
ExpectedLog expected_from(const eventlog::Log& log);

}  // namespace nestrr::replay
