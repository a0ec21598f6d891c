// Record normalization, description and the replay-side decoder.
#include "event_check.h"

#include <google/protobuf/util/message_differencer.h>

#include "nestrr/eventlog/event.h"

namespace nestrr::replay {

void normalize(nestrr::v1::Record* r, uint64_t guest_rip) {
  r->set_dt(0);
  switch (r->event_case()) {
    case nestrr::v1::Record::kVmExit: r->mutable_vm_exit()->set_guest_rip_delta(static_cast<int64_t>(guest_rip)); break;
    case nestrr::v1::Record::kNmiReceived: r->mutable_nmi_received()->clear_interrupted_rip(); break;
    case nestrr::v1::Record::kAssertionFailure: {
      auto* a = r->mutable_assertion_failure();
      a->clear_rip();
      a->clear_registers();
      a->clear_return_address();
      a->clear_stack_address();
      a->clear_stack();
      break;
    }
    default: break;
  }
}

std::string describe(const nestrr::v1::Record& r) {
  std::string kind(eventlog::event_kind(r));
  const auto* refl = r.GetReflection();
  const auto* oneof = r.GetDescriptor()->FindOneofByName("event");
  const auto* field = oneof ? refl->GetOneofFieldDescriptor(r, oneof) : nullptr;
  if (!field) return kind;
  std::string body = refl->GetMessage(r, field).ShortDebugString();
  return kind + " { " + body + (body.empty() ? "}" : " }");
}

bool same(const nestrr::v1::Record& a, const nestrr::v1::Record& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

namespace {

// Protobuf wire reading, just enough to split a Packet into its records.
bool varint(const uint8_t*& p, const uint8_t* end, uint64_t* v) {
  uint64_t out = 0;
  for (int shift = 0; p < end && shift < 64; shift += 7) {
    uint8_t b = *p++;
    out |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = out;
      return true;
    }
  }
  return false;
}

constexpr uint32_t kPacketCpu = 1, kPacketRecord = 4;

}  // namespace

void RecordDecoder::feed_packet(const char* bytes, unsigned long n) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(bytes);
  const uint8_t* end = p + n;
  uint64_t cpu = 0;
  std::string_view records[2];
  size_t count = 0;
  while (p < end) {
    uint64_t key = 0, v = 0;
    if (!varint(p, end, &key)) return;
    switch (key & 7) {
      case 0:
        if (!varint(p, end, &v)) return;
        if ((key >> 3) == kPacketCpu) cpu = v;
        break;
      case 1: p += 8; break;
      case 5: p += 4; break;
      case 2: {
        if (!varint(p, end, &v) || v > static_cast<uint64_t>(end - p)) return;
        if ((key >> 3) == kPacketRecord && count < 2)
          records[count] = std::string_view(reinterpret_cast<const char*>(p), v);
        if ((key >> 3) == kPacketRecord) count++;
        p += v;
        break;
      }
      default: return;
    }
  }
  if (p != end || count == 0 || cpu >= pending_.size()) return;
  if (count == 1) {
    pending_[cpu].emplace_back(records[0]);
    return;
  }
  nestrr::v1::Packet packet;
  if (!packet.ParseFromArray(bytes, static_cast<int>(n))) return;
  uint64_t rip = 0;
  for (const auto& rec : packet.record()) {
    nestrr::v1::Record r = rec;
    if (r.has_vm_exit()) rip += static_cast<uint64_t>(r.vm_exit().guest_rip_delta());
    normalize(&r, rip);
    pending_[cpu].push_back(r.SerializeAsString());
  }
}

nestrr::v1::Record parse_record(std::string_view bytes) {
  nestrr::v1::Record r;
  r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  return r;
}

bool same_bytes(std::string_view got, std::string_view expected) {
  if (got == expected) return true;
  nestrr::v1::Record g = parse_record(got);
  uint64_t rip = g.has_vm_exit() ? static_cast<uint64_t>(g.vm_exit().guest_rip_delta()) : 0;
  normalize(&g, rip);
  return same(g, parse_record(expected));
}

}  // namespace nestrr::replay
