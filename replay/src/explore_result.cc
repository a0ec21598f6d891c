// Exploration results as files, their merge, and the report (see
// explore_result.h).
#include "nestrr/replay/explore_result.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace nestrr::replay {
namespace {

namespace v1 = nestrr::v1;
constexpr uint32_t kFormatVersion = 1;

void set_cost(v1::ExploreCost* out, const ExploreCost& c) {
  out->set_preemptions(c.preemptions);
  out->set_late_nmis(c.late_nmis);
  out->set_nmis(c.nmis);
  out->set_deviations(c.deviations);
  out->set_steps(c.steps);
}

std::string cost_text(const v1::ExploreCost& c) {
  return std::to_string(c.preemptions()) + " preemptions, " + std::to_string(c.late_nmis()) +
         " late NMIs, " + std::to_string(c.nmis()) + " NMIs, " + std::to_string(c.steps()) +
         " decisions";
}

// The search a result belongs to: everything but the shard and outcome.
std::string search_key(const v1::ExploreRun& r) {
  v1::ExploreRun k = r;
  k.clear_shard_index();
  k.clear_merged_shards();
  k.clear_schedules();
  k.clear_steps();
  k.clear_exhausted();
  k.clear_seconds();
  k.clear_timed_out();
  k.clear_finding();
  std::string bytes;
  k.SerializeToString(&bytes);
  return bytes;
}

}  // namespace

v1::ExploreRun to_proto(const ExploreOptions& o, const ExploreResult& r) {
  v1::ExploreRun p;
  p.set_format_version(kFormatVersion);
  *p.mutable_scenario() = to_proto(o.scenario);
  p.mutable_scenario()->set_origin("explore");
  p.set_strategy(strategy_name(o.strategy));
  if (o.strategy != ExploreStrategy::kBounded) p.set_seed(o.seed);
  if (o.strategy == ExploreStrategy::kPct) p.set_depth(o.depth);
  if (o.strategy == ExploreStrategy::kBounded) p.set_bound(o.bound);
  p.set_schedules_asked(o.schedules);
  p.set_all(o.all);
  p.set_check(o.check);
  p.set_minimize(o.minimize);
  p.set_minimize_budget(o.minimize_budget);
  p.set_max_steps(o.max_steps);
  p.set_time_limit(std::chrono::duration<double>(o.time_limit).count());
  p.set_shard_index(o.shard.index);
  p.set_shard_count(o.shard.count);
  p.set_schedules(r.schedules);
  p.set_steps(r.steps);
  p.set_exhausted(r.exhausted);
  p.set_seconds(std::chrono::duration<double>(r.elapsed).count());
  p.set_timed_out(r.timed_out);
  for (const auto& f : r.findings) {
    v1::ExploreFinding* q = p.add_finding();
    q->set_schedule(f.schedule);
    q->set_shard(o.shard.index);
    q->set_kind(finding_kind_name(f.kind));
    q->set_summary(f.summary);
    if (f.kind == ExploreFinding::Kind::kAssertion) {
      q->set_cpu(f.cpu);
      q->set_condition(f.condition);
      q->set_file(f.file);
      q->set_line(f.line);
      q->set_progress(f.progress);
    }
    for (const auto& i : f.invariants) q->add_invariant(i);
    set_cost(q->mutable_cost(), f.cost);
    set_cost(q->mutable_found_cost(), f.found_cost);
    q->set_minimize_runs(f.minimize_runs);
    q->set_log(f.log);
  }
  return p;
}

std::string to_json(const v1::ExploreRun& run) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  auto st = google::protobuf::util::MessageToJsonString(run, &out, opts);
  if (!st.ok()) throw std::logic_error("explore result to JSON: " + st.ToString());
  return out;
}

v1::ExploreRun from_json(const std::string& text) {
  v1::ExploreRun run;
  auto st = google::protobuf::util::JsonStringToMessage(text, &run);
  if (!st.ok()) throw std::invalid_argument("not an exploration result: " + st.ToString());
  if (run.format_version() == 0 || run.shard_count() == 0)
    throw std::invalid_argument("not an exploration result: no format_version or shard_count");
  if (run.format_version() > kFormatVersion)
    throw std::invalid_argument("exploration result format " + std::to_string(run.format_version()) +
                                " is newer than this nestrr reads (" +
                                std::to_string(kFormatVersion) + ")");
  return run;
}

v1::ExploreRun merge_shards(const std::vector<v1::ExploreRun>& shards) {
  if (shards.empty()) throw std::invalid_argument("no shard results to merge");
  const v1::ExploreRun& first = shards.front();
  const uint32_t n = first.shard_count();
  const std::string key = search_key(first);
  std::vector<const v1::ExploreRun*> by_index(n, nullptr);
  for (const auto& s : shards) {
    if (s.merged_shards() > 0) throw std::invalid_argument("a result is already merged");
    if (search_key(s) != key)
      throw std::invalid_argument("shard " + std::to_string(s.shard_index()) + "/" +
                                  std::to_string(s.shard_count()) +
                                  " is of another search (scenario, strategy, seed or options "
                                  "differ from shard " + std::to_string(first.shard_index()) + "'s)");
    if (by_index[s.shard_index()])
      throw std::invalid_argument("shard " + std::to_string(s.shard_index()) + "/" +
                                  std::to_string(n) + " given twice");
    by_index[s.shard_index()] = &s;
  }
  std::string missing;
  for (uint32_t i = 0; i < n; ++i)
    if (!by_index[i]) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
  if (!missing.empty())
    throw std::invalid_argument("missing shard(s) " + missing + " of " + std::to_string(n));

  v1::ExploreRun m = first;
  m.clear_finding();
  m.set_shard_index(0);
  m.set_merged_shards(n);
  uint64_t schedules = 0, steps = 0;
  bool exhausted = true, timed_out = false;
  double seconds = 0;
  std::vector<v1::ExploreFinding> findings;
  for (const auto* s : by_index) {
    schedules += s->schedules();
    steps += s->steps();
    exhausted = exhausted && s->exhausted();
    timed_out = timed_out || s->timed_out();
    seconds = std::max(seconds, s->seconds());
    for (const auto& f : s->finding()) findings.push_back(f);
  }
  const bool bounded = first.strategy() == "bounded";
  if (!bounded)
    std::stable_sort(findings.begin(), findings.end(),
                     [](const auto& a, const auto& b) { return a.schedule() < b.schedule(); });
  if (!first.all() && !findings.empty()) {
    findings.resize(1);
    // Run numbers below the first finding ran clean in every shard: the
    // whole search would have stopped here.
    if (!bounded) schedules = findings[0].schedule();
    exhausted = false;
  }
  m.set_schedules(schedules);
  m.set_steps(steps);
  m.set_exhausted(bounded && exhausted);
  m.set_seconds(seconds);
  m.set_timed_out(timed_out);
  for (auto& f : findings) *m.add_finding() = std::move(f);
  return m;
}

std::string describe_search(const v1::ExploreRun& r) {
  std::string ws;
  for (const auto& w : r.scenario().cpu_workload()) ws += (ws.empty() ? "" : ",") + w;
  std::string how = r.strategy();
  if (how == "bounded")
    how += " (bound " + std::to_string(r.bound()) + ")";
  else if (how == "pct")
    how += " (depth " + std::to_string(r.depth()) + ", seed " + std::to_string(r.seed()) + ")";
  else
    how += " (seed " + std::to_string(r.seed()) + ")";
  std::string part;
  if (r.merged_shards() > 0)
    part = ", " + std::to_string(r.merged_shards()) + " shards merged";
  else if (r.shard_count() > 1)
    part = ", shard " + std::to_string(r.shard_index()) + "/" + std::to_string(r.shard_count());
  char line[512];
  std::snprintf(line, sizeof line, "%s, %s x%llu, %s%s: %llu schedules in %.2fs%s%s\n",
                r.scenario().variant().c_str(), ws.c_str(),
                static_cast<unsigned long long>(r.scenario().iterations()), how.c_str(), part.c_str(),
                static_cast<unsigned long long>(r.schedules()), r.seconds(),
                r.exhausted() ? ", the whole bounded space" : "",
                r.timed_out() ? ", stopped by the time limit" : "");
  return line;
}

std::string describe_finding(const v1::ExploreFinding& f) {
  std::string s = "found in schedule " + std::to_string(f.schedule()) + ": " + f.summary() + "\n";
  if (f.minimize_runs() > 0 || f.found_cost().steps() != f.cost().steps())
    s += "  minimized in " + std::to_string(f.minimize_runs()) + " runs: " + cost_text(f.cost()) +
         " (as found: " + cost_text(f.found_cost()) + ")\n";
  else
    s += "  " + cost_text(f.cost()) + "\n";
  return s;
}

}  // namespace nestrr::replay
