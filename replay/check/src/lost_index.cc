// Placing lost records (lost_index.h).
#include "lost_index.h"

#include <algorithm>

#include "nestrr/eventlog/loss.h"

namespace nestrr::check::detail {

namespace el = eventlog;

std::vector<LostRange> lost_ranges(const el::Log& log) {
  std::vector<const el::Event*> records_lost;
  for (const el::CpuStream& s : log.streams)
    for (const el::Event& e : s.events)
      if (e.record.has_records_lost()) records_lost.push_back(&e);
  return lost_ranges(log.gaps, records_lost);
}

std::vector<LostRange> lost_ranges(const std::vector<el::SeqGap>& gaps,
                                   const std::vector<const el::Event*>& records_lost) {
  std::vector<LostRange> out;
  for (const el::SeqGap& g : gaps) {
    LostRange r;
    r.cpu = g.cpu;
    if (g.from > 0) r.after_seq = g.from - 1;
    if (!g.open) r.before_seq = g.to;
    r.what = el::describe(g);
    out.push_back(std::move(r));
  }
  // A RecordsLost record stands where the logger noticed it had dropped
  // records: they came after the record before it, and before it.
  for (const el::Event* e : records_lost) {
    LostRange r;
    r.cpu = e->cpu;
    if (e->seq > 0) r.after_seq = e->seq - 1;
    r.before_seq = e->seq;
    r.what = "cpu" + std::to_string(e->cpu) + ": the logger dropped " +
             std::to_string(e->record.records_lost().count()) + " records before #" + std::to_string(e->seq);
    out.push_back(std::move(r));
  }
  return out;
}

std::string unlocated_loss(const el::Log& log) {
  std::string out;
  if (!log.header && log.stats.frames_damaged_total() > 0)
    out = "the log has no header and " + std::to_string(log.stats.frames_damaged_total()) +
          " damaged frames: CPUs it never names may have lost every record";
  if (log.stats.conflicting_records > 0)
    out += (out.empty() ? "" : "; ") + std::to_string(log.stats.conflicting_records) +
           " records seen twice with different content (the first kept may be the wrong one)";
  return out;
}

TimelinePositions::TimelinePositions(const el::Log& log, const el::Timeline& timeline) {
  pos_.resize(log.streams.size());
  for (size_t s = 0; s < log.streams.size(); ++s) pos_[s].resize(log.streams[s].events.size());
  for (uint64_t i = 0; i < timeline.order.size(); ++i) {
    const el::EventRef r = timeline.order[i];
    pos_[r.stream][r.index] = i;
  }
}

std::vector<Placed> place_lost(const el::Log& log, const TimelinePositions& position,
                               const std::vector<LostRange>& lost) {
  std::vector<Placed> placed(lost.size());
  for (size_t i = 0; i < lost.size(); ++i) {
    const LostRange& r = lost[i];
    auto it = std::lower_bound(log.streams.begin(), log.streams.end(), r.cpu,
                               [](const el::CpuStream& s, uint32_t c) { return s.cpu < c; });
    if (it == log.streams.end() || it->cpu != r.cpu) continue;  // no record: anywhere
    const uint32_t stream = static_cast<uint32_t>(it - log.streams.begin());
    const auto& ev = it->events;
    auto by_seq = [](const el::Event& e, uint64_t seq) { return e.seq < seq; };
    if (r.after_seq) {
      // The last record at or before after_seq.
      auto a = std::lower_bound(ev.begin(), ev.end(), *r.after_seq + 1, by_seq);
      if (a != ev.begin())
        placed[i].first = static_cast<int64_t>(
            position(el::EventRef{stream, static_cast<uint32_t>(a - ev.begin()) - 1}));
    }
    if (r.before_seq) {
      auto b = std::lower_bound(ev.begin(), ev.end(), *r.before_seq, by_seq);
      if (b != ev.end()) placed[i].last = position(el::EventRef{stream, static_cast<uint32_t>(b - ev.begin())});
    }
  }
  return placed;
}

LostPlacer::LostPlacer(const std::vector<LostRange>& lost) : lost_(lost), placed_(lost.size()) {
  for (size_t i = 0; i < lost.size(); ++i) {
    Cpu& c = cpus_[lost[i].cpu];
    if (lost[i].after_seq) c.by_after.push_back(i);
    if (lost[i].before_seq) c.by_before.push_back(i);
  }
  for (auto& [cpu, c] : cpus_) {
    std::stable_sort(c.by_after.begin(), c.by_after.end(),
                     [&](size_t a, size_t b) { return *lost_[a].after_seq < *lost_[b].after_seq; });
    std::stable_sort(c.by_before.begin(), c.by_before.end(),
                     [&](size_t a, size_t b) { return *lost_[a].before_seq < *lost_[b].before_seq; });
  }
}

void LostPlacer::see(uint32_t cpu, uint64_t seq, uint64_t position) {
  auto it = cpus_.find(cpu);
  if (it == cpus_.end()) return;
  Cpu& c = it->second;
  // A range whose after_seq this record passes has its record before in
  // the CPU's latest one (records come in seq order).
  while (c.next_after < c.by_after.size() && *lost_[c.by_after[c.next_after]].after_seq < seq)
    placed_[c.by_after[c.next_after++]].first = c.last_position;
  // The first record at or past before_seq is the record after.
  while (c.next_before < c.by_before.size() && *lost_[c.by_before[c.next_before]].before_seq <= seq)
    placed_[c.by_before[c.next_before++]].last = position;
  c.last_position = static_cast<int64_t>(position);
}

std::vector<Placed> LostPlacer::finish() {
  // Ranges past the CPU's last record: that record is the one before.
  for (auto& [cpu, c] : cpus_)
    for (; c.next_after < c.by_after.size(); ++c.next_after) placed_[c.by_after[c.next_after]].first = c.last_position;
  return std::move(placed_);
}

std::vector<size_t> LostIndex::on_cpu_between(uint32_t cpu, uint64_t after, uint64_t before) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < lost_.size(); ++i) {
    const LostRange& r = lost_[i];
    if (r.cpu != cpu) continue;
    // Lost seqs lie strictly between after_seq and before_seq (a logger
    // drop: between before_seq - 1 and before_seq).
    const bool starts_before = !r.after_seq || *r.after_seq < before;
    const bool ends_after = !r.before_seq || *r.before_seq > after;
    if (starts_before && ends_after) out.push_back(i);
  }
  return out;
}

std::vector<size_t> LostIndex::in_timeline_between(uint64_t after, uint64_t before) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < placed_.size(); ++i) {
    const Placed& p = placed_[i];
    if (p.first < static_cast<int64_t>(before) && p.last > after) out.push_back(i);
  }
  return out;
}

}  // namespace nestrr::check::detail
