// Loss in words (loss.h).
#include "nestrr/eventlog/loss.h"

namespace nestrr::eventlog {

std::string describe(const SeqGap& g) {
  const std::string cpu = "cpu" + std::to_string(g.cpu);
  const std::string at = std::to_string(g.stream_offset);
  if (g.open && g.count() == 0)
    return cpu + (g.from ? " after #" + std::to_string(g.from - 1) : std::string(" from #0")) +
           " (damage at byte " + at + " follows its last record and its trailer never came: "
           "how many records were lost is unknown)";
  if (g.open)
    return cpu + " from #" + std::to_string(g.from) + " on (at least " + std::to_string(g.count()) +
           " records, up to the frame cut at byte " + at +
           "; its trailer never came, so more may be lost)";
  return cpu + " #" + std::to_string(g.from) + " to #" + std::to_string(g.to - 1) + " (" +
         std::to_string(g.count()) + " records, " +
         (g.tail ? "the end of its stream, by its trailer at byte " + at
                 : "noticed at byte " + at) +
         ")";
}

std::vector<uint32_t> silent_cpus(const Log& log) {
  std::vector<uint32_t> out;
  if (!log.header) return out;
  for (uint32_t cpu = 0; cpu < log.header->cpu_count(); ++cpu) {
    const CpuStream* s = log.find_cpu(cpu);
    if (!s || s->events.empty()) out.push_back(cpu);
  }
  return out;
}

std::string loss_summary(const Log& log) {
  const Stats& s = log.stats;
  if (s.clean() && log.gaps.empty()) return "";
  std::string out;
  auto part = [&](const std::string& p) { out += (out.empty() ? "" : "; ") + p; };
  if (const uint64_t n = s.frames_damaged_total())
    part(std::to_string(n) + " damaged frame" + (n == 1 ? "" : "s") +
         (log.damage.empty() ? "" : ", the first " + describe(log.damage.front())));
  if (!log.gaps.empty()) {
    std::string gaps = std::to_string(s.records_lost_transport) + " records lost in transport";
    bool open = false;
    for (const auto& g : log.gaps) open = open || g.open;
    if (open) gaps += " at least";
    gaps += " (";
    for (size_t i = 0; i < log.gaps.size() && i < 3; ++i) gaps += (i ? ", " : "") + describe(log.gaps[i]);
    if (log.gaps.size() > 3) gaps += ", and " + std::to_string(log.gaps.size() - 3) + " more gaps";
    part(gaps + ")");
  }
  if (s.records_dropped_logger)
    part(std::to_string(s.records_dropped_logger) + " records dropped by the logger");
  if (s.conflicting_records)
    part(std::to_string(s.conflicting_records) + " records seen twice with different content");
  return out;
}

}  // namespace nestrr::eventlog
