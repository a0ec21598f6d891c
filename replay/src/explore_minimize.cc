// Schedule minimization (explore_minimize.h), by delta debugging (Zeller
// and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input") over
// the schedule's deviations from the default schedule. Two kinds:
//   - a switch: at some decision another CPU runs than the default one;
//     named by where it was taken (the CPU that ran before, its progress
//     count, how often that pair recurred), so it still applies when
//     removing an earlier deviation shifted the decision indices;
//   - a landing: an NMI taken later than at its CPU's first point after it
//     arrived, named by the CPU and the progress count it landed at. However
//     many points it was held over, it is one deviation.
// A candidate keeps some deviations and takes the default elsewhere: the
// default CPU, and pending NMIs at once unless a kept landing of that CPU
// lies ahead. A CPU that reaches a kept landing with no NMI pending waits
// there (the lowest other CPU runs) until one arrives: so a landing alone
// says "an NMI lands here", whatever it takes to send one.
#include "explore_minimize.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace nestrr::replay {
namespace {

struct Place {
  int32_t last;
  uint64_t progress;
  uint32_t occurrence;
  bool operator<(const Place& o) const {
    return std::tie(last, progress, occurrence) < std::tie(o.last, o.progress, o.occurrence);
  }
};

struct Deviation {
  bool landing = false;
  Place at{};             // switch: where; run `cpu` there
  uint32_t cpu = 0;
  uint64_t progress = 0;  // landing: `cpu` takes an NMI at this progress count
};

std::vector<Deviation> deviations_of(const std::vector<ExploreDecision>& trace) {
  std::vector<Deviation> out;
  std::map<std::pair<int32_t, uint64_t>, uint32_t> seen;
  std::vector<bool> held;
  for (const auto& d : trace) {
    uint32_t occ = seen[{d.last, d.last_progress}]++;
    if (!d.default_cpu) out.push_back({false, {d.last, d.last_progress, occ}, d.cpu, 0});
    if (d.cpu >= held.size()) held.resize(d.cpu + 1, false);
    if (d.nmi_late) held[d.cpu] = true;
    if (d.nmi && held[d.cpu]) {
      out.push_back({true, {}, d.cpu, d.progress});
      held[d.cpu] = false;
    }
  }
  return out;
}

class Guided final : public Strategy {
 public:
  explicit Guided(const std::vector<Deviation>& keep) {
    for (const auto& d : keep) {
      if (!d.landing) {
        switch_at_[d.at] = d.cpu;
        continue;
      }
      if (d.cpu >= landings_.size()) landings_.resize(d.cpu + 1);
      landings_[d.cpu].push_back(d.progress);
    }
    for (auto& l : landings_) std::sort(l.begin(), l.end());
  }
  bool begin(uint64_t) override {
    seen_.clear();
    next_.assign(landings_.size(), 0);
    return true;
  }
  size_t choose(const DecisionView& v) override {
    const auto& opts = *v.options;
    uint32_t cpu = default_cpu(v);
    uint32_t occ = seen_[{v.last, v.last_progress}]++;
    auto it = switch_at_.find({v.last, v.last_progress, occ});
    if (it != switch_at_.end())
      for (const auto& o : opts)
        if (o.cpu == it->second) cpu = o.cpu;
    size_t plain = opts.size(), nmi = opts.size();
    for (size_t i = 0; i < opts.size(); ++i)
      if (opts[i].cpu == cpu) (opts[i].nmi ? nmi : plain) = i;
    if (nmi == opts.size()) {
      if (landing_here(cpu, opts[plain].progress))
        for (size_t i = 0; i < opts.size(); ++i)
          if (opts[i].cpu != cpu) return i;  // wait here for an NMI
      return plain;
    }
    if (plain == opts.size() || take_now(cpu, opts[nmi].progress)) return nmi;
    return plain;
  }

 private:
  // Is a kept landing of `cpu` at progress `at` (landings passed dropped)?
  bool landing_here(uint32_t cpu, uint64_t at) {
    if (cpu >= landings_.size()) return false;
    const auto& l = landings_[cpu];
    size_t& j = next_[cpu];
    while (j < l.size() && l[j] < at) j++;
    return j < l.size() && l[j] == at;
  }

  // A pending NMI of `cpu` at progress `at`: taken now unless a kept
  // landing of the CPU lies ahead (landings already passed are dropped).
  bool take_now(uint32_t cpu, uint64_t at) {
    if (cpu >= landings_.size()) return true;
    const auto& l = landings_[cpu];
    size_t& j = next_[cpu];
    while (j < l.size() && l[j] < at) j++;
    if (j == l.size()) return true;
    if (l[j] != at) return false;
    j++;
    return true;
  }

  std::map<Place, uint32_t> switch_at_;
  std::vector<std::vector<uint64_t>> landings_;  // per CPU, sorted
  std::vector<size_t> next_;
  std::map<std::pair<int32_t, uint64_t>, uint32_t> seen_;
};

}  // namespace

// Every NMI the run delivered (to `cpu`, or to any CPU if it is negative),
// as a landing at its CPU's progress count.
static std::vector<Deviation> landings_of(const std::vector<ExploreDecision>& trace, int cpu) {
  std::vector<Deviation> out;
  for (const auto& d : trace)
    if (d.nmi && (cpu < 0 || static_cast<int>(d.cpu) == cpu))
      out.push_back({true, {}, d.cpu, d.progress});
  return out;
}

Minimized minimize_schedule(ExploreMachine& machine, const ExploredRun& failing,
                            const std::function<bool(ExploredRun&)>& same_failure,
                            uint64_t budget) {
  Minimized best;
  best.run = failing;

  // Runs the schedule that keeps `keep`; true (and it becomes the best) if
  // it still fails.
  auto test = [&](const std::vector<Deviation>& keep) {
    if (best.runs >= budget) return false;
    best.runs++;
    Guided g(keep);
    g.begin(0);
    ExploredRun run = machine.run(g);
    if (!same_failure(run)) return false;
    best.run = std::move(run);
    return true;
  };

  std::vector<Deviation> current = deviations_of(failing.trace);
  if (current.empty() || test({})) return best;
  // Often all it takes is where the NMIs land: the default schedule with
  // NMIs held to (or waited for at) the places they landed, those of the
  // CPU that failed first, then all.
  std::vector<Deviation> landings;
  if (failing.end == ExploredRun::End::kAssertion) {
    landings = landings_of(failing.trace, static_cast<int>(failing.cpu));
    if (landings.empty() || !test(landings)) landings.clear();
  }
  if (landings.empty()) {
    landings = landings_of(failing.trace, -1);
    if (!landings.empty() && !test(landings)) landings.clear();
  }
  if (!landings.empty()) current = landings;
  // ddmin: try dropping each of n chunks; on success keep the rest and
  // coarsen, else refine, until single deviations cannot be dropped.
  size_t n = 2;
  while (current.size() >= 2 && best.runs < budget) {
    const size_t len = current.size();
    n = std::min(n, len);
    const size_t chunk = (len + n - 1) / n;
    bool reduced = false;
    for (size_t start = 0; start < len && !reduced; start += chunk) {
      std::vector<Deviation> rest;
      for (size_t i = 0; i < len; ++i)
        if (i < start || i >= start + chunk) rest.push_back(current[i]);
      if (test(rest)) {
        current = std::move(rest);
        reduced = true;
        n = std::max<size_t>(n - 1, 2);
      }
    }
    if (!reduced) {
      if (n >= len) break;
      n = std::min(n * 2, len);
    }
  }
  // Fewer NMIs before the failure: move each landing to the first time its
  // CPU parked at the same place (point, VMX mode) in the best run so far.
  for (size_t i = 0; i < current.size() && best.runs < budget; ++i) {
    if (!current[i].landing) continue;
    const Deviation d = current[i];
    uint32_t key = kNoLanding;
    for (const auto& t : best.run.trace)
      if (t.cpu == d.cpu && t.progress == d.progress) key = t.landing;
    if (key == kNoLanding) continue;
    for (const auto& t : best.run.trace) {
      if (t.cpu != d.cpu || t.landing != key || t.progress >= d.progress) continue;
      std::vector<Deviation> earlier = current;
      earlier[i].progress = t.progress;
      if (test(earlier)) {
        current = std::move(earlier);
        break;
      }
      if (best.runs >= budget) break;
    }
  }
  return best;
}

}  // namespace nestrr::replay
