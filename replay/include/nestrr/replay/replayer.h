// Replay: re-executes the core under the interleaving a log recorded, in
// one pass. Each vCPU is a fiber; a deterministic scheduler lets lock
// acquisitions happen in the recorded order, delivers every NMI at the one
// position its recorded progress count names, on the target fiber's own
// stack (so the handler's frames sit on top of the interrupted ones), and
// stops every CPU the recording cut where its cut record says. Every record
// the re-execution logs is compared with the log; the first difference
// stops the replay.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "nestrr/eventlog/log.h"
#include "nestrr/replay/scenario.h"
#include "nestrr/replay/symbolize.h"
#include "nestrr/replay/trace.h"

namespace nestrr::replay {

struct ReplayOptions {
  // Trace entries kept (the last ones; the views show a few dozen around
  // the failure, each logged record described in text at the end);
  // 0 = all, which costs memory and time in proportion to the log.
  size_t trace_limit = 1u << 12;
  bool trace = true;  // false: no trace at all (a debugger driving the replay)
  bool symbolize = true;  // host symbols for the failing stack
  // When set, the count of records checked so far is stored here as the
  // replay goes (a progress line reads it from another thread).
  std::atomic<uint64_t>* checked_so_far = nullptr;
};

// The first record (or scheduling fact) that differs from the log.
struct Divergence {
  uint32_t cpu = 0;
  uint64_t index = 0;     // position of the expected event in the CPU's stream
  uint64_t seq = 0;       // its sequence number (as `nestrr dump` shows it)
  uint64_t progress = 0;  // the CPU's progress when it diverged
  std::string expected;   // "sync_point { object: 1 progress: 812 kind: KIND_ACQUIRE }"
  std::string got;
  std::string message() const;  // one line with all of the above
};

struct ReproducedFailure {
  uint32_t cpu = 0;
  std::string condition, file;
  uint32_t line = 0;
  uint64_t progress = 0;
};

struct ReplayResult {
  bool matched = false;  // every re-executed record equals the log, none missing
  std::optional<Divergence> divergence;
  // The replay reached a CPU's first loss (a seq gap, a logger drop, the
  // end of a stream its trailer does not close) and stopped there: which
  // CPU, its event index and seq, and in `expected` what was lost. Not a
  // divergence: the log does not say what comes next. What ran before it
  // matched the log (events_checked records).
  std::optional<Divergence> lost;
  std::optional<ReproducedFailure> failure;
  std::vector<TraceEntry> trace;           // scheduler order (see trace_limit)
  std::vector<uint64_t> progress;          // final progress per CPU
  std::vector<uint64_t> stack;             // failing fiber: return addresses, innermost first
  std::vector<Symbol> stack_symbols;       // same order, when symbolized
  uint64_t events_checked = 0;
  uint32_t attempts = 0;                   // re-executions of the log: always 1
  std::vector<uint32_t> cpus_cut;          // CPUs the recording stopped mid-way
  // A flight log whose rings wrapped replays from a key frame: its id, and
  // how many of the log's records came before it (shown, not replayed).
  uint64_t key_frame = 0;                  // 0: from the start of the run
  uint64_t records_before_key_frame = 0;
};

// "replay stopped at loss: cpu1 event 812 (progress 9120): cpu1's records
// #4812 to #4869 were lost in transport (before byte 91234); the 20311
// records before it matched the log".
std::string lost_message(const Divergence& lost, uint64_t records_matched);

// Throws std::invalid_argument when the log cannot be replayed: no header
// or scenario, a format version before 2, records no core run produces.
// Loss does not: the replay runs up to the first loss on the CPU it
// concerns and stops there (ReplayResult::lost).
ReplayResult replay(const eventlog::Log& log, const ReplayOptions& options = {});

// The same, reading the log at `path` front to back: memory holds the few
// rings' worth of records by which the CPUs' chunks are out of step in the
// file, not the log (a flight-recorder dump is read whole: its key frames
// come last; so is a version 2 log, whose lock order needs all of it).
// Loss is found where the replay meets it, and stops it there
// (ReplayResult::lost), as in replay(). Throws std::runtime_error when the
// file cannot be opened, eventlog::NotALog when it holds no log. `held_peak`, when
// given, gets the most records held at once.
ReplayResult replay_file(const std::filesystem::path& path, const ReplayOptions& options = {},
                         uint64_t* held_peak = nullptr);
// replay_file's front-to-back replay of a log read from `in`: a streamed
// log of format version 3 or later (anything else throws
// std::invalid_argument saying to read it whole).
ReplayResult replay_stream(std::istream& in, const ReplayOptions& options = {},
                           uint64_t* held_peak = nullptr);

}  // namespace nestrr::replay
