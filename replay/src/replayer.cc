// replay(): one re-execution of the log, start to end.
#include "nestrr/replay/replayer.h"

#include "expected_log.h"
#include "replay_machine.h"

namespace nestrr::replay {

std::string Divergence::message() const {
  return "replay diverged at cpu" + std::to_string(cpu) + " event " + std::to_string(index) +
         " (seq " + std::to_string(seq) + ", progress " + std::to_string(progress) +
         "): expected " + expected + ", got " + got;
}

ReplayResult replay(const eventlog::Log& log, const ReplayOptions& options) {
  ExpectedLog exp(log);
  std::optional<Attempt> best = ReplayMachine(exp, options).run();

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
  r.attempts = 1;
  r.cpus_cut = std::move(best->cut);
  if (const ResumePoint* from = exp.resume()) {
    r.key_frame = from->key_frame_id;
    r.records_before_key_frame = from->records_before;
  }
  if (options.symbolize && !r.stack.empty()) {
    HostSymbolizer sym;
    for (uint64_t a : r.stack) r.stack_symbols.push_back(sym.return_address(a));
  }
  return r;
}

}  // namespace nestrr::replay
