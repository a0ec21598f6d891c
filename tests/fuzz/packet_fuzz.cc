// libFuzzer target: the frame decoder, past the CRC. The input is a list
// of payloads (each a 2-byte little-endian length, then its bytes), each
// framed with a good CRC, so every byte the fuzzer chooses reaches packet
// decoding: the whole-log builder and the front-to-back stream, the limits
// on declared counts, the tail-loss accounting of a cut last frame, the
// merge, the formats, and the invariant checker with its loss accounting,
// over the whole read and read front to back.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "nestrr/check/check.h"
#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/limits.h"
#include "nestrr/eventlog/log_builder.h"
#include "nestrr/eventlog/log_stream.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/eventlog/merged_stream.h"
#include "nestrr/eventlog/not_a_log.h"
#include "nestrr/eventlog/summary.h"
#include "packet_frames.h"

namespace {

using namespace nestrr::eventlog;

constexpr uint32_t kFuzzCpus = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t cut = 0;
  const std::string bytes = nestrr_fuzz::frames_of(data, size, &cut).substr(0, cut);
  LogBuilder builder;
  builder.feed(bytes);
  Log log = builder.finish();
  // What was kept is within every limit.
  if (log.header && log.header->cpu_count() > kMaxCpus) __builtin_trap();
  // A header may declare up to kMaxCpus CPUs, and each one that sent
  // nothing is a gap that every report below names: milliseconds an input.
  // Past a few dozen, more CPUs reach no new code, so such logs stop here
  // and the run's executions go to the decoder.
  if (log.header && log.header->cpu_count() > kFuzzCpus) return 0;
  for (const auto& s : log.streams) {
    if (s.cpu >= kMaxCpus) __builtin_trap();
    for (size_t i = 1; i < s.events.size(); ++i)
      if (s.events[i].seq <= s.events[i - 1].seq) __builtin_trap();
  }
  // The gaps add up to the transport loss (both saturate at 2^64 - 1).
  uint64_t certain = 0;
  for (const auto& g : log.gaps) {
    if (g.to < g.from) __builtin_trap();
    certain = certain + g.count() < certain ? UINT64_MAX : certain + g.count();
    (void)describe(g);
  }
  if (certain != log.stats.records_lost_transport) __builtin_trap();
  (void)why_not_a_log(log);
  (void)loss_summary(log);
  Timeline timeline = merge(log);
  if (timeline.order.size() != log.event_count()) __builtin_trap();
  (void)format_info(log, &timeline);
  nestrr::check::CheckReport report = nestrr::check::check_log(log, timeline);
  // Loss is never called "holds", and a finding is put in one place.
  if (!log.gaps.empty() && report.outcome() == nestrr::check::Outcome::kHolds) __builtin_trap();
  const std::string report_text = nestrr::check::format_report(log, report);
  // The checker over the same bytes read front to back, collecting the
  // events it holds all the time: the same report, whenever no chunk came
  // out of order.
  {
    std::istringstream in(bytes);
    const LogSummary summary = summarize_log(in);
    if (summary.late_records == 0) {
      auto open = [&] {
        return std::make_unique<MergedStream>([&] { return std::make_unique<std::istringstream>(bytes); },
                                              summary);
      };
      const auto streamed = nestrr::check::check_stream(summary, open, nullptr, 4);
      const std::string text = nestrr::check::format_report(
          [&](EventRef r) -> const Event& { return streamed.at(r); }, summary.time_base, streamed.report);
      if (text != report_text) __builtin_trap();
    }
  }

  // The front-to-back reader, over the same bytes, CPU by CPU: it never
  // gives a record the whole-log reader does not have.
  std::istringstream in(bytes);
  LogStream stream(in);
  (void)stream.header();
  for (const auto& s : log.streams) {
    uint64_t last = 0;
    bool any = false;
    while (Event* e = stream.front(s.cpu)) {
      if (any && e->seq <= last) __builtin_trap();
      last = e->seq;
      any = true;
      stream.pop(s.cpu);
    }
  }
  return 0;
}
