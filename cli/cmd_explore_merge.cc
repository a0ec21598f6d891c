// `nestrr explore-merge`: combine the results of the shards of one search
// (`nestrr explore --shard I/N --result FILE`) and report them as one run.
#include <spdlog/spdlog.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "explore_output.h"
#include "nestrr/replay/explore_result.h"

namespace nestrr::cli {

void register_explore_merge(CLI::App& app, Run& run) {
  struct Opts {
    std::vector<std::string> inputs;
    std::string out = "explore.nrr";
    std::string result;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "explore-merge",
      "Combine the results of the shards of one search (`nestrr explore --shard I/N --result\n"
      "FILE`, every I of 0..N-1 once) and report them as one run: findings in run-number order\n"
      "(without --all only the first, and the schedule count the whole search would have\n"
      "stopped at), their minimized logs written to -o. Refuses files of different searches\n"
      "and missing or repeated shards. Exit code 6 when something was found, 0 when nothing\n"
      "was, 2 when the files are not the shards of one search, 3 when a file is unreadable.");
  sub->add_option("results", o->inputs, "Shard result files (JSON)")->required();
  sub->add_option("-o,--output", o->out, "Where the findings' logs go (numbered after the first)")
      ->capture_default_str();
  sub->add_option("--result", o->result, "Also write the merged result (JSON)");
  sub->callback([&run, o] {
    run = [o]() -> int {
      std::vector<nestrr::v1::ExploreRun> shards;
      for (const auto& path : o->inputs) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
          spdlog::error("cannot read {}", path);
          return kExitBadInput;
        }
        std::ostringstream text;
        text << in.rdbuf();
        try {
          shards.push_back(replay::from_json(text.str()));
        } catch (const std::invalid_argument& e) {
          spdlog::error("{}: {}", path, e.what());
          return kExitBadInput;
        }
      }
      nestrr::v1::ExploreRun merged;
      try {
        merged = replay::merge_shards(shards);
      } catch (const std::invalid_argument& e) {
        spdlog::error("{}", e.what());
        return kExitUsage;
      }
      if (!o->result.empty() && !write_file(o->result, replay::to_json(merged))) {
        spdlog::error("could not write {}", o->result);
        return kExitFailed;
      }
      if (!report_search(merged, o->out, stdout)) return kExitFailed;
      if (!o->result.empty()) std::printf("result written to %s\n", o->result.c_str());
      return merged.finding_size() > 0 ? kExitInvariantViolated : kExitOk;
    };
  });
}

}  // namespace nestrr::cli
