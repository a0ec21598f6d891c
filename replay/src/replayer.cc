// replay(): one re-execution of the log, start to end, from a log in
// memory or read front to back from a file.
#include "nestrr/replay/replayer.h"

#include <fstream>
#include <stdexcept>

#include "expected_log.h"
#include "nestrr/eventlog/not_a_log.h"
#include "expected_stream.h"
#include "replay_machine.h"

namespace nestrr::replay {

std::string lost_message(const Divergence& lost, uint64_t records_matched) {
  return "replay stopped at loss: cpu" + std::to_string(lost.cpu) + " event " +
         std::to_string(lost.index) + " (progress " + std::to_string(lost.progress) + "): " +
         lost.expected + "; the " + std::to_string(records_matched) +
         " records before it matched the log";
}

std::string Divergence::message() const {
  return "replay diverged at cpu" + std::to_string(cpu) + " event " + std::to_string(index) +
         " (seq " + std::to_string(seq) + ", progress " + std::to_string(progress) +
         "): expected " + expected + ", got " + got;
}

namespace {

ReplayResult run(ExpectedSource& exp, const ReplayOptions& options) {
  Attempt a = ReplayMachine(exp, options).run();
  ReplayResult r;
  r.matched = !a.divergence && !a.lost;
  r.divergence = std::move(a.divergence);
  r.lost = std::move(a.lost);
  r.failure = std::move(a.failure);
  r.trace = std::move(a.trace);
  if (options.trace_limit && r.trace.size() > options.trace_limit)
    r.trace.erase(r.trace.begin(), r.trace.end() - static_cast<long>(options.trace_limit));
  r.progress = std::move(a.progress);
  r.stack = std::move(a.stack);
  r.events_checked = a.events_checked;
  r.attempts = 1;
  r.cpus_cut = std::move(a.cut);
  if (const ResumePoint* from = exp.resume()) {
    r.key_frame = from->key_frame_id;
    r.records_before_key_frame = from->records_before;
  }
  if (options.symbolize && !r.stack.empty()) {
    HostSymbolizer sym;
    for (uint64_t addr : r.stack) r.stack_symbols.push_back(sym.return_address(addr));
  }
  return r;
}

std::ifstream open_or_throw(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  return in;
}

}  // namespace

ReplayResult replay(const eventlog::Log& log, const ReplayOptions& options) {
  ExpectedLog exp(log);
  return run(exp, options);
}

ReplayResult replay_file(const std::filesystem::path& path, const ReplayOptions& options,
                         uint64_t* held_peak) {
  // A flight-recorder dump's key frames come last; a version 2 log's lock
  // order comes from sorting all its acquisitions: both are read whole.
  bool whole = false;
  {
    std::ifstream in = open_or_throw(path);
    eventlog::LogStream peek(in);
    const nestrr::v1::Header* h = peek.header();
    whole = !h || h->sink() == nestrr::v1::Header::SINK_FLIGHT_RECORDER ||
            h->format_version() < kTicketFormatVersion;
  }
  if (whole) {
    eventlog::Log log = eventlog::read_log_file(path);
    eventlog::require_log(log, path.string());
    return replay(log, options);
  }
  std::ifstream in = open_or_throw(path);
  return replay_stream(in, options, held_peak);
}

ReplayResult replay_stream(std::istream& in, const ReplayOptions& options, uint64_t* held_peak) {
  ExpectedStream exp(in);
  ReplayResult r = run(exp, options);
  if (held_peak) *held_peak = exp.held_peak();
  return r;
}

}  // namespace nestrr::replay
