// `nestrr replay`: re-execute a recorded run under its interleaving, check
// every record, show the interleaving and the stack of the failure.
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <atomic>
#include <iostream>
#include <memory>

#include "commands.h"
#include "log_input.h"
#include "progress_line.h"
#include "replay_goto.h"
#include "nestrr/replay/interleaving_view.h"
#include "nestrr/replay/replayer.h"

namespace nestrr::cli {

void register_replay(CLI::App& app, Run& run) {
  struct Opts {
    std::string log;
    size_t rows = 12;
    std::vector<uint64_t> go_to;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "replay",
      "Re-execute a recorded run deterministically; exit 5 at the first divergence. A log with\n"
      "loss replays up to the first loss on the CPU it concerns and stops there, saying which\n"
      "CPU, which records were lost and how many matched before: exit 4.");
  sub->add_option("log", o->log, "Log written by `nestrr record` (.nrr), or - for stdin")->required();
  sub->add_option("--rows", o->rows, "Interleaving rows before the failure")->capture_default_str();
  sub->add_option("--goto", o->go_to,
                  "After one pass (keeping checkpoints), go to the state right after record N "
                  "(in replay order, 0 = the start) and show every CPU there; repeat for "
                  "several, in any order: each is reached from the nearest checkpoint");
  sub->callback([&run, o] {
    run = [o]() -> int {
      replay::ReplayResult r;
      // A long log replays for seconds to minutes: say how far it got.
      std::atomic<uint64_t> checked{0};
      replay::ReplayOptions options;
      options.checked_so_far = &checked;
      const std::string name = o->log == "-" ? "stdin" : o->log;
      const auto replaying = [&] {
        return fmt::format("{}: replaying: {} records checked", name,
                           checked.load(std::memory_order_relaxed));
      };
      if (!o->go_to.empty() || o->log == "-") {
        // Going back and forth needs the whole log; so does stdin, read once.
        auto log = open_log(o->log);
        if (!log) return kExitBadInput;
        try {
          if (!o->go_to.empty()) return replay_goto(*log, o->go_to);
          ProgressLine line(replaying);
          r = replay::replay(*log, options);
        } catch (const std::invalid_argument& e) {
          spdlog::error("{}: {}", o->log, e.what());
          return kExitBadInput;
        }
      } else {
        // A file is read front to back as the replay goes: memory stays
        // bounded however long the log.
        try {
          ProgressLine line(replaying);
          r = replay::replay_file(o->log, options);
        } catch (const std::invalid_argument& e) {
          spdlog::error("{}: {}", o->log, e.what());
          return kExitBadInput;
        } catch (const std::exception& e) {
          spdlog::error("{}", e.what());
          return kExitBadInput;
        }
      }
      uint32_t cpus = static_cast<uint32_t>(r.progress.size());
      if (r.key_frame)
        std::cout << "Replayed from key frame " << r.key_frame << " (the flight recorder's rings "
                  << "wrapped; the " << r.records_before_key_frame
                  << " records kept before it are not replayable)\n\n";
      if (r.failure) {
        std::cout << "Failure: " << replay::failure_line(*r.failure) << "\n\n"
                  << "Interleaving before the failure (replay order):\n"
                  << replay::interleaving_view(r, cpus, {o->rows, 38}) << "\n"
                  << "Stack of cpu" << r.failure->cpu << ":\n"
                  << replay::stack_view(r);
      }
      if (r.divergence) {
        spdlog::error("{}", r.divergence->message());
        return kExitDiverged;
      }
      if (r.lost) {
        if (!r.failure)
          std::cout << "Interleaving before the loss (replay order):\n"
                    << replay::interleaving_view(r, cpus, {o->rows, 38}) << "\n";
        std::string stop = replay::lost_message(*r.lost, r.events_checked);
        spdlog::warn("{}: {}", o->log, stop);
        stop[0] = 'R';
        std::cout << stop << "\n";
        return kExitLossFound;
      }
      std::cout << (r.failure ? "\n" : "") << "Replay matched the log: " << r.events_checked
                << " records checked";
      std::cout << " (attempts: " << r.attempts << ")";
      std::cout << "\n";
      return kExitOk;
    };
  });
}

}  // namespace nestrr::cli
