// Every host recording replays to the outcome it recorded, in one pass:
// a sweep over variants x CPU counts x workloads x seeds x the ways a
// recording ends (time limit, SIGINT-style interrupt, completion, the
// race's assertion), unwidened. NESTRR_SWEEP_SEEDS sets the seeds per cell
// (CI: 1, 57 recordings and the race's; the full sweep in bench/README.md:
// 6).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/replay/recorder.h"
#include "nestrr/replay/replayer.h"

namespace nestrr::replay {
namespace {

enum class Stop { kTimeLimit, kInterrupt, kIterations, kRace };

struct Cell {
  core_variant variant;
  uint32_t cpus;
  std::vector<std::string> workloads;  // empty: the default for `cpus`
  Stop stop;
};

std::string name(const Cell& c) {
  std::string s = std::string(core_variant_name(c.variant)) + " cpus=" + std::to_string(c.cpus);
  if (!c.workloads.empty()) {
    s += " workload=";
    for (size_t i = 0; i < c.workloads.size(); ++i) s += (i ? "," : "") + c.workloads[i];
  }
  switch (c.stop) {
    case Stop::kTimeLimit: s += " stop=time-limit"; break;
    case Stop::kInterrupt: s += " stop=interrupt"; break;
    case Stop::kIterations: s += " stop=iterations"; break;
    case Stop::kRace: s += " stop=race"; break;
  }
  return s;
}

std::vector<Cell> cells() {
  std::vector<Cell> out;
  const core_variant variants[] = {CORE_VARIANT_VMXON_TWO_FLAGS, CORE_VARIANT_FIXED,
                                   CORE_VARIANT_EPT01_FLUSH_INCOMPLETE,
                                   CORE_VARIANT_NMI_INJECT_UNCHECKED,
                                   CORE_VARIANT_NMI_VMCS_OVERWRITE};
  for (core_variant v : variants) {
    for (uint32_t cpus : {2u, 4u, 8u}) {
      out.push_back({v, cpus, {}, Stop::kTimeLimit});
      out.push_back({v, cpus, {}, Stop::kInterrupt});
      // A lost guest NMI leaves its sender waiting: that recording would
      // only end at the time limit, which the first cell already covers.
      if (v != CORE_VARIANT_NMI_VMCS_OVERWRITE) out.push_back({v, cpus, {}, Stop::kIterations});
    }
    // Two CPUs that initiate quiesces at once (PAL registration, remap).
    out.push_back({v, 4, {"l1", "l1", "pal", "remap"}, Stop::kTimeLimit});
    out.push_back({v, 4, {"l1", "pal", "pal", "remap"}, Stop::kInterrupt});
    // Guest NMIs among quiesce NMIs.
    out.push_back({v, 4, {"l1", "nmi", "pal", "nmi"}, Stop::kTimeLimit});
  }
  // Until the seed's race hits (unwidened, at 2 CPUs it usually does within
  // a second) once per seed of the other cells, trying up to kRaceSeeds
  // times as many seeds.
  out.push_back({CORE_VARIANT_VMXON_TWO_FLAGS, 2, {}, Stop::kRace});
  return out;
}

constexpr uint32_t kRaceSeeds = 8;

uint32_t seeds_per_cell() {
  const char* s = std::getenv("NESTRR_SWEEP_SEEDS");
  return s ? static_cast<uint32_t>(std::strtoul(s, nullptr, 10)) : 1u;
}

struct Tally {
  uint32_t recordings = 0, replayed = 0, assertions = 0, cut_cpus = 0, races = 0, race_cells = 0;
  uint64_t records = 0;
};

TEST(ReplaySweep, EveryRecordingReplaysToItsOutcomeOnce) {
  Tally t;
  for (const Cell& cell : cells()) {
    const uint32_t seeds = cell.stop == Stop::kRace ? seeds_per_cell() * kRaceSeeds : seeds_per_cell();
    for (uint32_t seed = 1; seed <= seeds; ++seed) {
      SCOPED_TRACE(name(cell) + " seed=" + std::to_string(seed));
      RecordOptions o;
      o.scenario = default_scenario(cell.variant, cell.cpus, 0);
      if (!cell.workloads.empty()) {
        o.scenario.workload.clear();
        for (const auto& w : cell.workloads) {
          core_workload_kind k;
          ASSERT_TRUE(parse_workload(w, &k)) << w;
          o.scenario.workload.push_back(k);
        }
      }
      o.scenario.seed = seed;
      o.ring_bytes = 1u << 20;
      std::atomic<bool> interrupt{false};
      std::thread stopper;
      switch (cell.stop) {
        case Stop::kTimeLimit: o.time_limit = std::chrono::milliseconds(20 + 15 * seed); break;
        case Stop::kInterrupt:
          o.time_limit = std::chrono::milliseconds(10'000);
          o.interrupt = &interrupt;
          stopper = std::thread([&interrupt, seed] {
            std::this_thread::sleep_for(std::chrono::milliseconds(25 + 10 * seed));
            interrupt.store(true);
          });
          break;
        case Stop::kRace: o.time_limit = std::chrono::milliseconds(3000); break;
        case Stop::kIterations:
          o.scenario.iterations = 20 + 10 * seed;
          o.time_limit = std::chrono::milliseconds(10'000);
          break;
      }
      std::ostringstream bytes;
      RecordResult rec = record(o, bytes);
      if (stopper.joinable()) stopper.join();
      t.recordings++;
      t.race_cells += cell.stop == Stop::kRace;
      ASSERT_EQ(rec.records_dropped, 0u);
      // As `nestrr replay` reads a file: front to back, stopping at loss.
      std::istringstream in(bytes.str());
      ReplayOptions ro;
      ro.symbolize = false;
      ro.trace_limit = 16;
      ReplayResult r;
      try {
        r = replay_stream(in, ro);
      } catch (const std::invalid_argument& e) {
        FAIL() << name(cell) << " seed " << seed << ": " << e.what();
      }
      ASSERT_TRUE(r.matched) << r.divergence->message();
      EXPECT_EQ(r.attempts, 1u);
      t.records += r.events_checked;
      t.cut_cpus += static_cast<uint32_t>(r.cpus_cut.size());
      if (rec.assertion) {
        t.assertions++;
        ASSERT_TRUE(r.failure) << "recorded an assertion, replay did not reproduce it";
        EXPECT_EQ(r.failure->cpu, rec.assertion->cpu);
        EXPECT_EQ(r.failure->condition, rec.assertion->condition);
        EXPECT_EQ(r.failure->line, rec.assertion->line);
        EXPECT_EQ(r.failure->progress, rec.assertion->progress);
      } else {
        EXPECT_FALSE(r.failure) << "replay failed an assertion the recording did not";
      }
      if (cell.stop == Stop::kInterrupt && !rec.assertion && rec.end != RecordResult::End::kCompleted) {
        EXPECT_EQ(rec.end, RecordResult::End::kInterrupted);
      }
      t.replayed++;
      if (cell.stop == Stop::kRace && rec.assertion && ++t.races == seeds_per_cell()) break;
    }
  }
  std::printf("sweep: %u recordings, %u replayed to their recorded outcome in one pass each "
              "(%u ended in an assertion, %u CPUs cut mid-run), %llu records checked\n",
              t.recordings, t.replayed, t.assertions, t.cut_cpus,
              static_cast<unsigned long long>(t.records));
  EXPECT_EQ(t.replayed, t.recordings);
  // A sweep where the race never hit would test no assertion at all.
  EXPECT_GT(t.races, 0u) << "the race hit in none of " << t.race_cells << " recordings";
}

}  // namespace
}  // namespace nestrr::replay
