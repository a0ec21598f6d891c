// One decoded record of one CPU, with everything the wire left relative
// (TSC, guest RIP) made absolute.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "nestrr.pb.h"

namespace nestrr::eventlog {

// CPU field of console-text events, which belong to no CPU.
inline constexpr uint32_t kNoCpu = std::numeric_limits<uint32_t>::max();

struct Event {
  uint32_t cpu = 0;
  uint64_t seq = 0;            // per-CPU sequence number
  uint64_t tsc = 0;            // absolute: tsc_base + cumulative dt
  uint64_t stream_offset = 0;  // offset of the frame that carried it
  uint64_t guest_rip = 0;      // VmExit only: absolute guest RIP
  nestrr::v1::Record record;
};

// Schema name of the record's event ("vm_exit", "nmi_received", ...), or
// "none" when the record carries no event this reader knows.
std::string_view event_kind(const nestrr::v1::Record& record);
std::string_view event_kind(nestrr::v1::Record::EventCase which);

}  // namespace nestrr::eventlog
