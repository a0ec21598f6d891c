// A chunk packet's records as events: each one's seq, absolute TSC (the
// packet's base plus the signed deltas, in units of 2^dt_shift ticks) and,
// for VM exits, absolute guest RIP. VM exits come from the exit columns
// (format 4, ExitColumns in proto/nestrr.proto) or as Records; the order
// runs say how the two interleave. Shared by the whole-log builder and the
// front-to-back stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nestrr.pb.h"
#include "nestrr/eventlog/event.h"

namespace nestrr::eventlog {

// Reads a chunk's exit columns one exit at a time, with the two
// move-to-front lists the writer kept; every column read is bounds
// checked.
class ExitColumnReader {
 public:
  explicit ExitColumnReader(const nestrr::v1::ExitColumns& c) : c_(c) {}

  // The next exit into `exit` (guest_rip_delta against `*prev_rip`, which
  // moves to its RIP) and its dt; false with why() when the columns run
  // out or contradict themselves.
  bool next(nestrr::v1::VmExit* exit, uint64_t* prev_rip, int64_t* dt);
  // True when every column was read to its end.
  bool all_read() const;
  uint64_t exits_read() const { return head_; }
  const std::string& why() const { return why_; }

 private:
  static constexpr uint32_t kList = 7;
  bool fail(std::string why) {
    why_ = std::move(why);
    return false;
  }
  const nestrr::v1::ExitColumns& c_;
  int head_ = 0, dt_ = 0, reason_ = 0, rip_ = 0, qual_ = 0;
  uint32_t nreasons_ = 0, nrips_ = 0;
  uint32_t reasons_[kList] = {};
  uint64_t quals_[kList] = {};
  uint64_t rips_[kList] = {};
  std::string why_;
};

// Records a chunk packet carries, as Records and as exit columns.
inline uint64_t chunk_records(const nestrr::v1::Packet& packet) {
  return static_cast<uint64_t>(packet.record_size()) + packet.exits().head().size();
}

// Calls `take(Event&&)` for every record of `packet`, in order, moving
// each Record out of the packet. Returns the TSC of the last one, or
// nothing (with `*why` set, and no event taken) when the chunk's columns
// or order runs contradict themselves.
template <class Take>
std::optional<uint64_t> take_chunk_events(nestrr::v1::Packet& packet, uint64_t offset, Take&& take,
                                          std::string* why) {
  const uint32_t cpu = packet.cpu();
  const uint64_t first = packet.first_seq();
  const uint32_t shift = packet.dt_shift();
  if (shift > 32) {
    *why = "dt_shift " + std::to_string(shift) + " (at most 32)";
    return std::nullopt;
  }
  const bool columns = packet.has_exits() || packet.order_size() > 0;
  // Validate the layout before taking anything: runs add up, every column
  // decodes (a first pass on a copy of the state).
  uint64_t exits_total = 0, records_total = 0;
  if (columns) {
    for (int i = 0; i < packet.order_size(); ++i)
      (i % 2 == 0 ? exits_total : records_total) += packet.order(i);
    if (records_total != static_cast<uint64_t>(packet.record_size())) {
      *why = "order runs count " + std::to_string(records_total) + " records, the chunk has " +
             std::to_string(packet.record_size());
      return std::nullopt;
    }
    if (exits_total != packet.exits().head().size()) {
      *why = "order runs count " + std::to_string(exits_total) + " exits, the columns " +
             std::to_string(packet.exits().head().size());
      return std::nullopt;
    }
    ExitColumnReader check(packet.exits());
    nestrr::v1::VmExit scratch;
    uint64_t rip = 0;
    int64_t dt = 0;
    for (uint64_t i = 0; i < exits_total; ++i)
      if (!check.next(&scratch, &rip, &dt)) {
        *why = "exit " + std::to_string(i) + ": " + check.why();
        return std::nullopt;
      }
    if (!check.all_read()) {
      *why = "exit columns longer than their " + std::to_string(exits_total) + " exits";
      return std::nullopt;
    }
  }
  uint64_t tsc = packet.tsc_base();
  uint64_t rip = 0;
  uint64_t seq = first;
  auto emit = [&](Event&& event, int64_t dt) {
    event.cpu = cpu;
    event.seq = seq++;
    tsc += static_cast<uint64_t>(dt) << shift;  // signed delta, modular sum
    event.tsc = tsc;
    event.stream_offset = offset;
    take(std::move(event));
  };
  auto take_record = [&](int i) {
    auto& record = *packet.mutable_record(i);
    Event event;
    const int64_t dt = record.dt();
    if (record.has_vm_exit()) {
      rip += static_cast<uint64_t>(record.vm_exit().guest_rip_delta());
      event.guest_rip = rip;
    }
    // The packet is done with after this: take the record, don't copy it.
    event.record.Swap(&record);
    emit(std::move(event), dt);
  };
  if (!columns) {
    for (int i = 0; i < packet.record_size(); ++i) take_record(i);
    return tsc;
  }
  ExitColumnReader exits(packet.exits());
  int next_record = 0;
  for (int run = 0; run < packet.order_size(); ++run) {
    for (uint32_t k = 0; k < packet.order(run); ++k) {
      if (run % 2 == 1) {
        take_record(next_record++);
        continue;
      }
      Event event;
      int64_t dt = 0;
      exits.next(event.record.mutable_vm_exit(), &rip, &dt);  // checked above
      event.guest_rip = rip;
      emit(std::move(event), dt);
    }
  }
  return tsc;
}

}  // namespace nestrr::eventlog
