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

RecordDecoder::RecordDecoder(uint32_t cpus) : reader_(*this), pending_(cpus) {}

void RecordDecoder::on_frame(const eventlog::Frame& frame) {
  nestrr::v1::Packet p;
  if (!p.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) return;
  if (p.record_size() == 0 || p.cpu() >= pending_.size()) return;
  uint64_t rip = 0;
  for (const auto& rec : p.record()) {
    nestrr::v1::Record r = rec;
    if (r.has_vm_exit()) rip += static_cast<uint64_t>(r.vm_exit().guest_rip_delta());
    normalize(&r, rip);
    pending_[p.cpu()].push_back(std::move(r));
  }
}

}  // namespace nestrr::replay
