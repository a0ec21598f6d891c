// `nestrr replay --goto` (replay_goto.h).
#include "replay_goto.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "nestrr/replay/live_replay.h"
#include "nestrr/replay/replayer.h"

namespace nestrr::cli {
namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int replay_goto(const eventlog::Log& log, const std::vector<uint64_t>& records) {
  replay::LiveReplay r(log);
  // The first pass: the records checked after each step, for finding a
  // record's step, and the checkpoints.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<uint64_t> checked_after{0};
  while (r.step()) {
    checked_after.push_back(r.records_checked());
    if (checked_after.size() % (1u << 20) == 0)
      spdlog::info("first pass: {} records checked", r.records_checked());
  }
  if (r.divergence()) {
    spdlog::error("{}", r.divergence()->message());
    return kExitDiverged;
  }
  const uint64_t total = r.records_checked();
  // A log with loss replays up to it: the records before can be visited.
  const bool lost = r.lost().has_value();
  if (lost) spdlog::warn("{}", replay::lost_message(*r.lost(), total));
  std::cout << "First pass: " << total << " records checked in " << r.steps()
            << " steps, " << r.checkpoint_count() << " checkpoints ("
            << r.checkpoint_bytes() / (1024 * 1024) << " MiB), "
            << fmt::format("{:.2f}", since(t0)) << " s\n";
  for (uint64_t want : records) {
    if (want > total) {
      if (lost) {
        spdlog::error("--goto {}: the replay stopped at loss after {} records", want, total);
        return kExitLossFound;
      }
      spdlog::error("--goto {}: the replay checks {} records", want, total);
      return kExitUsage;
    }
    // The first step after which `want` records have been checked.
    uint64_t step = static_cast<uint64_t>(
        std::lower_bound(checked_after.begin(), checked_after.end(), want) - checked_after.begin());
    auto t1 = std::chrono::steady_clock::now();
    uint64_t ran = r.seek(step);
    std::cout << "\nRecord " << want << ": step " << step << ", reached in "
              << fmt::format("{:.3f}", since(t1)) << " s (" << ran << " steps re-executed)\n";
    for (uint32_t cpu = 0; cpu < r.cpu_count(); ++cpu) {
      replay::ParkedVcpu v = r.vcpu(cpu);
      std::cout << "  cpu" << cpu << ": " << v.detail << ", progress " << v.progress << ", "
                << v.records_checked << " of its records replayed"
                << (r.last_cpu() && *r.last_cpu() == cpu ? "  <- ran last" : "") << "\n";
    }
  }
  return lost ? kExitLossFound : kExitOk;
}

}  // namespace nestrr::cli
