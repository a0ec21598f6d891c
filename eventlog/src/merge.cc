// Causal edge discovery and the Kahn-style k-way merge.
#include "nestrr/eventlog/merge.h"

#include <algorithm>
#include <map>
#include <optional>
#include <queue>
#include <tuple>

namespace nestrr::eventlog {

std::string_view edge_kind_name(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::kNmi: return "nmi";
    case EdgeKind::kQuiesceAck: return "quiesce_ack";
    case EdgeKind::kQuiesceEnd: return "quiesce_end";
    case EdgeKind::kQuiesceChange: return "quiesce_change";
  }
  return "unknown";
}

namespace {

struct Send {
  EventRef ref;
  uint32_t sender;
  bool used = false;
};

bool ref_less(const EventRef& a, const EventRef& b) {
  return std::tie(a.stream, a.index) < std::tie(b.stream, b.index);
}

}  // namespace

std::vector<CausalEdge> causal_edges(const Log& log, MergeStats& stats) {
  std::vector<CausalEdge> edges;
  // NMI sends by (target, token) for token matching, and token-0 sends per
  // (sender, target) in program order for k-th to k-th matching.
  std::map<std::pair<uint32_t, uint64_t>, std::vector<Send>> by_token;
  std::map<std::pair<uint32_t, uint32_t>, std::vector<EventRef>> untokened;
  std::map<std::pair<uint32_t, uint32_t>, size_t> untokened_next;
  std::map<std::pair<uint32_t, uint64_t>, EventRef> begins, ends;  // (initiator, gen)
  struct Ack {
    EventRef ref;
    uint32_t initiator;
    uint64_t generation;
  };
  std::vector<Ack> acks;
  struct Receive {
    EventRef ref;
    uint32_t target;
  };
  std::vector<Receive> receives;
  uint64_t sends = 0;

  // EPT01 changes inside each (initiator, generation) quiesce.
  std::map<std::pair<uint32_t, uint64_t>, std::vector<EventRef>> changes;
  for (uint32_t s = 0; s < log.streams.size(); ++s) {
    const auto& stream = log.streams[s];
    std::optional<uint64_t> open_generation;
    for (uint32_t i = 0; i < stream.events.size(); ++i) {
      const auto& r = stream.events[i].record;
      const EventRef ref{s, i};
      switch (r.event_case()) {
        case nestrr::v1::Record::kEpt01Change:
          if (open_generation) changes[{stream.cpu, *open_generation}].push_back(ref);
          break;
        case nestrr::v1::Record::kNmiSent: {
          ++sends;
          const auto& m = r.nmi_sent();
          if (m.token() != 0) {
            by_token[{m.target_cpu(), m.token()}].push_back(Send{ref, stream.cpu});
          } else {
            untokened[{stream.cpu, m.target_cpu()}].push_back(ref);
          }
          break;
        }
        case nestrr::v1::Record::kNmiReceived:
          receives.push_back(Receive{ref, stream.cpu});
          break;
        case nestrr::v1::Record::kQuiesceBegin:
          if (!begins.try_emplace({stream.cpu, r.quiesce_begin().generation()}, ref).second) {
            ++stats.duplicate_quiesce_records;
          }
          open_generation = r.quiesce_begin().generation();
          break;
        case nestrr::v1::Record::kQuiesceEnd:
          if (!ends.try_emplace({stream.cpu, r.quiesce_end().generation()}, ref).second) {
            ++stats.duplicate_quiesce_records;
          }
          open_generation.reset();
          break;
        case nestrr::v1::Record::kQuiesceAck:
          acks.push_back(Ack{ref, r.quiesce_ack().initiator_cpu(), r.quiesce_ack().generation()});
          break;
        default:
          break;
      }
    }
  }

  uint64_t matched = 0;
  for (const auto& rc : receives) {
    const auto& m = log.at(rc.ref).record.nmi_received();
    std::optional<EventRef> from;
    if (m.token() != 0) {
      auto it = by_token.find({rc.target, m.token()});
      if (it != by_token.end()) {
        for (auto& send : it->second) {
          if (send.used || (m.has_source_cpu() && send.sender != m.source_cpu())) continue;
          send.used = true;
          from = send.ref;
          break;
        }
      }
    } else if (m.has_source_cpu()) {
      const std::pair<uint32_t, uint32_t> key{m.source_cpu(), rc.target};
      auto it = untokened.find(key);
      size_t& k = untokened_next[key];
      if (it != untokened.end() && k < it->second.size()) from = it->second[k++];
    }
    if (from) {
      edges.push_back(CausalEdge{EdgeKind::kNmi, *from, rc.ref});
      ++stats.nmi_edges;
      ++matched;
    } else {
      ++stats.unmatched_nmi_receives;
    }
  }
  stats.unmatched_nmi_sends = sends - matched;

  for (const auto& ack : acks) {
    const std::pair<uint32_t, uint64_t> key{ack.initiator, ack.generation};
    auto b = begins.find(key);
    if (b == begins.end()) {
      ++stats.unmatched_quiesce_acks;
    } else {
      edges.push_back(CausalEdge{EdgeKind::kQuiesceAck, b->second, ack.ref});
      ++stats.quiesce_edges;
    }
    auto e = ends.find(key);
    if (e != ends.end()) {
      edges.push_back(CausalEdge{EdgeKind::kQuiesceEnd, ack.ref, e->second});
      ++stats.quiesce_edges;
    }
    // The initiator changes EPT01 only once every other CPU acknowledged.
    auto c = changes.find(key);
    if (c != changes.end()) {
      for (const EventRef& change : c->second) {
        edges.push_back(CausalEdge{EdgeKind::kQuiesceChange, ack.ref, change});
        ++stats.quiesce_edges;
      }
    }
  }
  stats.edges = edges.size();

  for (const auto& edge : edges) {
    const Event& from = log.at(edge.from);
    const Event& to = log.at(edge.to);
    if (to.tsc < from.tsc) {
      const uint64_t ticks = from.tsc - to.tsc;
      ++stats.skewed_edges;
      stats.max_skew_ticks = std::max(stats.max_skew_ticks, ticks);
      stats.skews.push_back(SkewReport{edge, from.cpu, to.cpu, from.seq, to.seq, ticks});
    }
  }
  return edges;
}

Timeline merge(const Log& log) {
  Timeline out;
  out.edges = causal_edges(log, out.stats);
  auto& edges = out.edges;
  std::vector<CausalEdge> by_source = edges;
  std::sort(by_source.begin(), by_source.end(),
            [](const CausalEdge& a, const CausalEdge& b) { return ref_less(a.from, b.from); });

  const size_t streams = log.streams.size();
  std::vector<std::vector<uint32_t>> pending(streams);
  uint64_t total = 0;
  for (size_t s = 0; s < streams; ++s) {
    pending[s].assign(log.streams[s].events.size(), 0);
    total += log.streams[s].events.size();
  }
  for (const auto& e : edges) ++pending[e.to.stream][e.to.index];
  out.stats.events = total;
  out.order.reserve(total);

  using Key = std::tuple<uint64_t, uint32_t, uint64_t, uint32_t>;  // tsc, cpu, seq, stream
  std::priority_queue<Key, std::vector<Key>, std::greater<>> ready;
  std::vector<uint32_t> head(streams, 0);
  std::vector<size_t> edge_cursor(streams, 0);
  for (uint32_t s = 0; s < streams; ++s) {
    edge_cursor[s] = static_cast<size_t>(
        std::lower_bound(by_source.begin(), by_source.end(), EventRef{s, 0},
                         [](const CausalEdge& a, const EventRef& b) { return ref_less(a.from, b); }) -
        by_source.begin());
  }
  auto key_of = [&](uint32_t s) {
    const Event& e = log.streams[s].events[head[s]];
    return Key{e.tsc, e.cpu, e.seq, s};
  };
  auto offer = [&](uint32_t s) {
    if (head[s] < log.streams[s].events.size() && pending[s][head[s]] == 0) ready.push(key_of(s));
  };
  for (uint32_t s = 0; s < streams; ++s) offer(s);

  while (out.order.size() < total) {
    uint32_t s;
    if (ready.empty()) {
      // Every head waits for something not yet emitted: the log contradicts
      // itself (a cycle). Emit the earliest head by TSC and say so.
      std::optional<Key> best;
      for (uint32_t t = 0; t < streams; ++t) {
        if (head[t] < log.streams[t].events.size() && (!best || key_of(t) < *best)) best = key_of(t);
      }
      s = std::get<3>(*best);
      const Event& e = log.streams[s].events[head[s]];
      out.stats.cycles.push_back(CycleBreak{EventRef{s, head[s]}, e.cpu, e.seq, pending[s][head[s]]});
      ++out.stats.cycles_broken;
    } else {
      s = std::get<3>(ready.top());
      ready.pop();
    }
    const EventRef ref{s, head[s]};
    out.order.push_back(ref);
    ++head[s];
    // Each stream is emitted in index order, so its out-edges are found by
    // a cursor moving forward through by_source, not by a search per event.
    size_t& next = edge_cursor[s];
    while (next < by_source.size() && ref_less(by_source[next].from, ref)) ++next;
    for (; next < by_source.size() && by_source[next].from == ref; ++next) {
      const auto* it = &by_source[next];
      const EventRef to = it->to;
      if (to.index < head[to.stream]) {
        out.stats.violated.push_back(*it);  // destination already emitted
        continue;
      }
      if (--pending[to.stream][to.index] == 0 && to.index == head[to.stream] && to.stream != s) {
        offer(to.stream);
      }
    }
    offer(s);
  }
  return out;
}

std::string describe(const Log& log, const SkewReport& skew) {
  (void)log;
  return std::string(edge_kind_name(skew.edge.kind)) + " cpu" + std::to_string(skew.from_cpu) + "#" +
         std::to_string(skew.from_seq) + " -> cpu" + std::to_string(skew.to_cpu) + "#" +
         std::to_string(skew.to_seq) + ": destination TSC " + std::to_string(skew.ticks) +
         " ticks earlier than source";
}

std::string describe(const Log& log, const CycleBreak& cycle) {
  const Event& e = log.at(cycle.forced);
  return "causal cycle: emitted cpu" + std::to_string(cycle.cpu) + "#" + std::to_string(cycle.seq) +
         " (" + std::string(event_kind(e.record)) + ") before " +
         std::to_string(cycle.unmet_predecessors) + " of its causal predecessors";
}

}  // namespace nestrr::eventlog
