// What replay saw each CPU do, in the order the deterministic scheduler
// ran it: yield points, logged events, NMIs sent and delivered, the
// assertion. The interleaving view is drawn from this.
#pragma once

#include <cstdint>
#include <string>

namespace nestrr::replay {

struct TraceEntry {
  enum class Kind : uint8_t {
    kPoint,         // passed a yield point (`point`)
    kWaitDone,      // a wait_until at `point` finished
    kEvent,         // logged a record (`text`)
    kNmiSent,       // sent an NMI to `other_cpu`
    kNmiDelivered,  // NMI from `other_cpu` taken here (handler starts)
    kNmiReturn,     // NMI handler returned
    kAssertion,     // assertion failed (`text` = condition)
  };
  Kind kind = Kind::kPoint;
  uint32_t cpu = 0;
  uint64_t progress = 0;   // the CPU's progress count at the entry
  uint32_t point = 0;      // enum core_point (kPoint, kWaitDone; NMI: last point)
  uint32_t other_cpu = 0;  // NMI peer (0xffffffff unknown)
  uint32_t nmi_depth = 0;  // 1 inside the NMI handler
  std::string text;
  // kEvent: index of the record in the CPU's stream of the log.
  uint64_t record = 0;

  friend bool operator==(const TraceEntry&, const TraceEntry&) = default;
};

}  // namespace nestrr::replay
