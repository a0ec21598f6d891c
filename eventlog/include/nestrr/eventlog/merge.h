// Merges per-CPU streams into one timeline. TSC orders events where nothing
// else does (clocks of different CPUs may be skewed); causal edges (an NMI
// is received after it is sent, a quiesce is acknowledged after it begins
// and ends after every acknowledgement, and EPT01 changes inside it come after
// every acknowledgement) are never violated unless the log contradicts itself,
// and then the contradiction is reported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nestrr/eventlog/log.h"

namespace nestrr::eventlog {

enum class EdgeKind : uint8_t {
  kNmi,          // NmiSent -> NmiReceived
  kQuiesceAck,   // QuiesceBegin -> QuiesceAck
  kQuiesceEnd,   // QuiesceAck -> QuiesceEnd
  kQuiesceChange,  // QuiesceAck -> each Ept01Change the initiator makes in that quiesce
};
std::string_view edge_kind_name(EdgeKind kind);

struct CausalEdge {
  EdgeKind kind;
  EventRef from;
  EventRef to;
};

// A causal edge whose destination carries an earlier TSC than its source.
struct SkewReport {
  CausalEdge edge;
  uint32_t from_cpu = 0, to_cpu = 0;
  uint64_t from_seq = 0, to_seq = 0;
  uint64_t ticks = 0;  // source TSC minus destination TSC
};

// All heads were blocked: this event was emitted before some predecessor.
struct CycleBreak {
  EventRef forced;
  uint32_t cpu = 0;
  uint64_t seq = 0;
  uint32_t unmet_predecessors = 0;
};

struct MergeStats {
  uint64_t events = 0;
  uint64_t edges = 0;
  uint64_t nmi_edges = 0;
  uint64_t quiesce_edges = 0;
  uint64_t unmatched_nmi_sends = 0;
  uint64_t unmatched_nmi_receives = 0;
  uint64_t unmatched_quiesce_acks = 0;  // no QuiesceBegin for them
  uint64_t duplicate_quiesce_records = 0;
  uint64_t skewed_edges = 0;
  uint64_t max_skew_ticks = 0;
  std::vector<SkewReport> skews;          // every skewed edge
  uint64_t cycles_broken = 0;
  std::vector<CycleBreak> cycles;
  std::vector<CausalEdge> violated;       // edges the output order breaks
};

struct Timeline {
  std::vector<EventRef> order;      // every event of the log, once
  std::vector<CausalEdge> edges;
  MergeStats stats;
};

// The causal edges of a log; unmatched ends are counted into stats.
std::vector<CausalEdge> causal_edges(const Log& log, MergeStats& stats);

// k-way merge by (tsc, cpu, seq) over heads whose causal predecessors are
// all emitted; O(N log C + E log E).
Timeline merge(const Log& log);

// "nmi cpu0#12 -> cpu3#40: destination 250 ticks earlier"
std::string describe(const Log& log, const SkewReport& skew);
std::string describe(const Log& log, const CycleBreak& cycle);

}  // namespace nestrr::eventlog
