// A chunk packet's records as events: each one's seq, absolute TSC (the
// packet's base plus the signed deltas) and, for VM exits, absolute guest
// RIP. Shared by the whole-log builder and the front-to-back stream.
#pragma once

#include <cstdint>

#include "nestrr.pb.h"
#include "nestrr/eventlog/event.h"

namespace nestrr::eventlog::detail {

// Calls `take(Event&&)` for every record of `packet`, in order, moving
// each record out of the packet. Returns the TSC of the last one.
template <class Take>
uint64_t take_chunk_events(nestrr::v1::Packet& packet, uint64_t offset, Take&& take) {
  const uint32_t cpu = packet.cpu();
  const uint64_t first = packet.first_seq();
  const int n = packet.record_size();
  uint64_t tsc = packet.tsc_base();
  uint64_t rip = 0;
  for (int i = 0; i < n; ++i) {
    auto& record = *packet.mutable_record(i);
    Event event;
    event.cpu = cpu;
    event.seq = first + static_cast<uint64_t>(i);
    tsc += static_cast<uint64_t>(record.dt());  // signed delta, modular sum
    event.tsc = tsc;
    event.stream_offset = offset;
    if (record.has_vm_exit()) {
      rip += static_cast<uint64_t>(record.vm_exit().guest_rip_delta());
      event.guest_rip = rip;
    }
    // The packet is done with after this: take the record, don't copy it.
    event.record.Swap(&record);
    take(std::move(event));
  }
  return tsc;
}

}  // namespace nestrr::eventlog::detail
