// merge()'s order over per-CPU readers (merged_stream.h).
#include "nestrr/eventlog/merged_stream.h"

namespace nestrr::eventlog {

MergedStream::MergedStream(const Open& open, const LogSummary& summary) {
  for (const CpuStream& s : summary.log.streams) {
    Cpu c;
    c.cpu = s.cpu;
    c.in = open();
    // What the summary read, not what a growing file has since.
    c.stream = std::make_unique<LogStream>(*c.in, s.cpu, summary.log.stats.bytes);
    cpus_.push_back(std::move(c));
  }
  for (const CausalLink& e : summary.edges) {
    ++pending_[{e.to_cpu, e.to_seq}];
    successors_.emplace(Point{e.from_cpu, e.from_seq}, Point{e.to_cpu, e.to_seq});
  }
  for (size_t s = 0; s < cpus_.size(); ++s) offer(s);
}

MergedStream::~MergedStream() = default;

const Event* MergedStream::head(size_t s) { return cpus_[s].stream->front(cpus_[s].cpu); }

// Makes the stream's head a candidate once nothing it waits on is pending.
void MergedStream::offer(size_t s) {
  const Event* e = head(s);
  if (!e) return;
  auto it = pending_.find({e->cpu, e->seq});
  if (it == pending_.end() || it->second == 0) ready_.push(Key{e->tsc, e->cpu, e->seq, s});
}

const Event* MergedStream::next() {
  size_t s;
  if (!ready_.empty()) {
    s = std::get<3>(ready_.top());
    ready_.pop();
  } else {
    // Every head waits on something not yet given (a cycle), or all
    // streams are over: give the earliest head by TSC, as merge() does.
    std::optional<Key> best;
    for (size_t t = 0; t < cpus_.size(); ++t) {
      const Event* e = head(t);
      if (e && (!best || Key{e->tsc, e->cpu, e->seq, t} < *best)) best = Key{e->tsc, e->cpu, e->seq, t};
    }
    if (!best) return nullptr;
    s = std::get<3>(*best);
    ++cycles_broken_;
  }
  Cpu& c = cpus_[s];
  current_ = std::move(*head(s));
  c.stream->pop(c.cpu);
  given_.store(given_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  const Point at{current_.cpu, current_.seq};
  pending_.erase(at);
  auto [from, to] = successors_.equal_range(at);
  for (auto it = from; it != to; ++it) {
    const Point dest = it->second;
    auto p = pending_.find(dest);
    if (p == pending_.end()) continue;  // already given (the edge is broken) or unknown
    if (--p->second != 0) continue;
    // Its stream's head now: a candidate (its own stream offers it below).
    for (size_t t = 0; t < cpus_.size(); ++t) {
      if (t == s || cpus_[t].cpu != dest.first) continue;
      const Event* h = head(t);
      if (h && h->seq == dest.second) ready_.push(Key{h->tsc, h->cpu, h->seq, t});
    }
  }
  successors_.erase(from, to);
  offer(s);
  return &current_;
}

}  // namespace nestrr::eventlog
