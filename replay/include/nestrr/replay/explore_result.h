// Exploration results as files (proto/explore.proto, JSON): what one run or
// shard of `nestrr explore` writes, how shards of one search merge into the
// result of the whole, and the report both commands print.
#pragma once

#include <string>
#include <vector>

#include "explore.pb.h"
#include "nestrr/replay/explore.h"

namespace nestrr::replay {

nestrr::v1::ExploreRun to_proto(const ExploreOptions& options, const ExploreResult& result);

// protobuf's JSON mapping, one object. from_json throws
// std::invalid_argument naming what is wrong.
std::string to_json(const nestrr::v1::ExploreRun& run);
nestrr::v1::ExploreRun from_json(const std::string& text);

// The result of the whole search from the results of its shards, as if it
// had run in one piece: findings in run-number order, and without --all
// only the first, with the schedule count the whole search would have
// stopped at. Throws std::invalid_argument when the files are not the
// shards of one search (different scenario or options), or a shard is
// missing or given twice.
nestrr::v1::ExploreRun merge_shards(const std::vector<nestrr::v1::ExploreRun>& shards);

// The report `nestrr explore` prints (without the logs' paths): the search,
// then one block per finding.
std::string describe_search(const nestrr::v1::ExploreRun& run);
std::string describe_finding(const nestrr::v1::ExploreFinding& f);

}  // namespace nestrr::replay
