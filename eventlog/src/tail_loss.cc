// Open gaps at the end of a log (tail_loss.h).
#include "tail_loss.h"

#include <algorithm>
#include <tuple>

#include "nestrr/eventlog/limits.h"

namespace nestrr::eventlog::detail {
namespace {

uint64_t saturating_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

// How far past a CPU's last record a cut chunk may start and still be
// believed: further means earlier loss of this size, which a cut frame
// alone is no evidence of.
constexpr uint64_t kMaxCutSeqJump = uint64_t{1} << 20;

CpuStream& stream_of(Log& log, uint32_t cpu) {
  auto it = std::lower_bound(log.streams.begin(), log.streams.end(), cpu,
                             [](const CpuStream& s, uint32_t c) { return s.cpu < c; });
  if (it != log.streams.end() && it->cpu == cpu) return *it;
  CpuStream s;
  s.cpu = cpu;
  return *log.streams.insert(it, std::move(s));
}

}  // namespace

void account_tail_loss(Log& log, const std::optional<CutFrame>& cut) {
  const bool flight = log.header && log.header->sink() == nestrr::v1::Header::SINK_FLIGHT_RECORDER;
  // The seq after a CPU's last record (for a flight recorder with no record
  // kept, where it starts is unknown: `fallback`).
  auto next_seq = [&](const CpuStream& s, uint64_t fallback) {
    if (!s.events.empty()) return s.events.back().seq + 1;
    return flight ? fallback : 0;
  };
  std::vector<SeqGap> found;
  std::optional<uint32_t> cut_cpu;
  // The cut frame's bytes have no CRC to vouch for them: a stream that also
  // lost bytes just before its end could make them say anything. What they
  // say is believed only if it fits the log: a CPU it can have, a first
  // seq near where that CPU's records stopped.
  auto plausible = [&](const CutChunk& c) {
    const uint32_t cpus = log.header && log.header->cpu_count() ? log.header->cpu_count() : kMaxCpus;
    if (c.cpu >= cpus) return false;
    const CpuStream* s = log.find_cpu(c.cpu);
    const uint64_t next = s && !s->events.empty() ? s->events.back().seq + 1 : 0;
    return c.first_seq <= next + kMaxCutSeqJump && (flight || s || c.first_seq <= kMaxCutSeqJump);
  };
  if (cut && cut->chunk && plausible(*cut->chunk)) {
    const CutChunk& c = *cut->chunk;
    cut_cpu = c.cpu;
    CpuStream& s = stream_of(log, c.cpu);
    // With its trailer, the CPU's tail loss is already counted exactly.
    if (!s.trailer) {
      const uint64_t from = next_seq(s, c.first_seq);
      const uint64_t to = saturating_add(c.first_seq, c.records);
      if (to > from) {
        found.push_back(SeqGap{c.cpu, from, to, cut->offset, false, true});
        s.records_lost_transport = saturating_add(s.records_lost_transport, to - from);
        log.stats.records_lost_transport = saturating_add(log.stats.records_lost_transport, to - from);
      }
    }
  }
  // Damage that no CPU is known for: the records of any CPU whose stream
  // it follows, and whose trailer never came, may be in it.
  auto unattributed_after = [&](uint64_t offset) -> std::optional<uint64_t> {
    for (const Damage& d : log.damage) {
      if (cut_cpu && d.kind == DamageKind::kCut && d.offset == cut->offset) continue;
      if (d.offset >= offset) return d.offset;
    }
    return std::nullopt;
  };
  for (CpuStream& s : log.streams) {
    if (s.trailer || (cut_cpu && *cut_cpu == s.cpu)) continue;
    const uint64_t last = s.events.empty() ? 0 : s.events.back().stream_offset;
    if (auto at = unattributed_after(last)) {
      const uint64_t from = next_seq(s, 0);
      found.push_back(SeqGap{s.cpu, from, from, *at, false, true});
    }
  }
  // CPUs the header declares and that sent nothing at all.
  if (log.header) {
    for (uint32_t cpu = 0; cpu < log.header->cpu_count(); ++cpu) {
      if (log.find_cpu(cpu)) continue;
      if (auto at = unattributed_after(0)) found.push_back(SeqGap{cpu, 0, 0, *at, false, true});
    }
  }
  if (found.empty()) return;
  log.gaps.insert(log.gaps.end(), found.begin(), found.end());
  std::stable_sort(log.gaps.begin(), log.gaps.end(), [](const SeqGap& a, const SeqGap& b) {
    return std::tie(a.cpu, a.from) < std::tie(b.cpu, b.from);
  });
}

}  // namespace nestrr::eventlog::detail
