// libFuzzer target: the packed-column decoder (format 4). The input is one
// packet's payload. Both readers of a chunk run on it: take_chunk_events
// over the parsed message (ExitColumnReader; the whole-log builder and the
// front-to-back stream use it) and scan_packet on the wire bytes (the
// LogScanner's). Each must take all of a chunk's records, in seq order, or
// none; and where the bytes are the message's own encoding (what a writer
// makes, without unknown fields), both must read the same records.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/chunk_events.h"
#include "nestrr/eventlog/scan.h"

using namespace nestrr::eventlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::vector<ScanRecord> scanned;
  PacketParts parts;
  std::string scan_why;
  const bool scan_ok = scan_packet(payload, &scanned, &parts, &scan_why);
  if (!scan_ok && !scanned.empty()) __builtin_trap();  // a failed scan leaves `out` as it was

  nestrr::v1::Packet packet;
  if (!packet.ParseFromArray(data, static_cast<int>(size))) return 0;
  // A writer's encoding: this schema's fields only, as protobuf writes
  // them. (Unknown fields are outside it: protobuf skips an unknown group,
  // wire types 3 and 4, which no writer of this proto3 schema makes and
  // scan_packet refuses.)
  nestrr::v1::Packet known = packet;
  known.DiscardUnknownFields();
  const bool canonical = known.SerializeAsString() == payload;
  const uint64_t n = chunk_records(packet);
  const uint64_t first = packet.first_seq();
  std::vector<Event> taken;
  std::string why;
  const auto last = take_chunk_events(packet, 0, [&](Event&& e) { taken.push_back(std::move(e)); }, &why);
  if (!last) {
    if (!taken.empty() || why.empty()) __builtin_trap();
  } else {
    if (taken.size() != n) __builtin_trap();
    for (size_t i = 0; i < taken.size(); ++i)
      if (taken[i].seq != first + i) __builtin_trap();
    if (!taken.empty() && taken.back().tsc != *last) __builtin_trap();
  }

  // The two readers agree on a writer's encoding of a chunk.
  if (!canonical || n == 0) return 0;
  if (scan_ok != last.has_value()) __builtin_trap();
  if (!scan_ok) return 0;
  if (scanned.size() != taken.size()) __builtin_trap();
  for (size_t i = 0; i < taken.size(); ++i) {
    const ScanRecord& s = scanned[i];
    const Event& e = taken[i];
    if (s.cpu != e.cpu || s.seq != e.seq || s.tsc != e.tsc) __builtin_trap();
    if (s.kind != static_cast<uint32_t>(e.record.event_case())) __builtin_trap();
    if (e.record.has_vm_exit()) {
      const auto& x = e.record.vm_exit();
      if (s.reason != x.reason() || s.qualification != x.qualification() || s.from_l2 != x.from_l2() ||
          s.guest_rip != e.guest_rip)
        __builtin_trap();
    }
  }
  return 0;
}
