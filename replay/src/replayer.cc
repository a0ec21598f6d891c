// replay(): re-executions with a backtracking choice of NMI positions.
#include "nestrr/replay/replayer.h"

#include "expected_log.h"
#include "replay_machine.h"
#include "replay_search.h"

namespace nestrr::replay {
namespace {

// How far back from a divergence the search changes NMI positions.
constexpr size_t kSearchWindow = 4;
// Positions tried per NMI. After an NMI is delivered the interrupted code
// goes on at a later count, so how many positions its own count offers is
// only known when it was delivered late enough: try a few.
constexpr uint32_t kMaxSlots = 8;

// The next choice after a diverged attempt, in lexicographic order of
// delivery: move the latest of the last few delivered NMIs that still has
// an untried position one further, and reset every NMI after it.
bool next_choice(const Attempt& a, NmiSlots* slots) {
  const auto& d = a.delivered;
  size_t lo = d.size() > kSearchWindow ? d.size() - kSearchWindow : 0;
  for (size_t j = d.size(); j-- > lo;) {
    uint32_t& s = (*slots)[d[j].cpu][d[j].index];
    if (s + 1 < kMaxSlots) {
      s++;
      std::vector<std::vector<bool>> keep(slots->size());
      for (size_t i = 0; i < slots->size(); ++i) keep[i].assign((*slots)[i].size(), false);
      for (size_t i = 0; i <= j; ++i) keep[d[i].cpu][d[i].index] = true;
      for (size_t c = 0; c < slots->size(); ++c)
        for (size_t k = 0; k < (*slots)[c].size(); ++k)
          if (!keep[c][k]) (*slots)[c][k] = 0;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string Divergence::message() const {
  return "replay diverged at cpu" + std::to_string(cpu) + " event " + std::to_string(index) +
         " (seq " + std::to_string(seq) + ", progress " + std::to_string(progress) +
         "): expected " + expected + ", got " + got;
}

SearchResult search_nmi_placement(const ExpectedLog& exp, const ReplayOptions& options) {
  NmiSlots slots(exp.cpus.size());
  for (size_t i = 0; i < exp.cpus.size(); ++i) slots[i].assign(exp.cpus[i].nmis.size(), 0);

  SearchResult out;
  std::optional<Attempt> best;
  uint32_t stale = 0;
  for (;;) {
    ++out.attempts;
    Attempt a = ReplayMachine(exp, slots, options).run();
    bool done = !a.divergence;
    bool further = !best || a.events_checked > best->events_checked;
    stale = further ? 0 : stale + 1;
    NmiSlots next = slots;
    bool more = !done && stale < options.max_attempts && next_choice(a, &next);
    if (done || further) {
      best = std::move(a);
      out.slots = slots;
    }
    if (done || !more) break;
    slots = std::move(next);
  }
  out.best = std::move(*best);
  return out;
}

ReplayResult replay(const eventlog::Log& log, const ReplayOptions& options) {
  ExpectedLog exp = expected_from(log);
  SearchResult found = search_nmi_placement(exp, options);
  std::optional<Attempt> best = std::move(found.best);
  const uint32_t attempts = found.attempts;

  ReplayResult r;
  r.matched = !best->divergence;
  r.divergence = std::move(best->divergence);
  r.failure = std::move(best->failure);
  r.trace = std::move(best->trace);
  if (options.trace_limit && r.trace.size() > options.trace_limit)
    r.trace.erase(r.trace.begin(), r.trace.end() - static_cast<long>(options.trace_limit));
  r.progress = std::move(best->progress);
  r.stack = std::move(best->stack);
  r.events_checked = best->events_checked;
  r.attempts = attempts;
  r.cpus_cut = std::move(best->cut);
  if (options.symbolize && !r.stack.empty()) {
    HostSymbolizer sym;
    for (uint64_t a : r.stack) r.stack_symbols.push_back(sym.return_address(a));
  }
  return r;
}

}  // namespace nestrr::replay
