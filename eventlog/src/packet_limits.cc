// Checks a packet's declared counts against limits.h (packet_limits.h).
#include "packet_limits.h"

#include "nestrr/eventlog/chunk_events.h"
#include "nestrr/eventlog/limits.h"
#include "text_util.h"

namespace nestrr::eventlog::detail {
namespace {

std::string cpu_limit() {
  return "CPU ids go from 0 to " + std::to_string(kMaxCpus - 1);
}

}  // namespace

std::string packet_limit_problem(const nestrr::v1::Packet& packet) {
  if (packet.has_header() && packet.header().cpu_count() > kMaxCpus)
    return "header declares " + std::to_string(packet.header().cpu_count()) +
           " CPUs; at most " + std::to_string(kMaxCpus) + " are supported";
  if (chunk_records(packet) > 0 && packet.cpu() >= kMaxCpus)
    return "chunk of cpu " + std::to_string(packet.cpu()) + ": " + cpu_limit();
  if (packet.has_trailer() && packet.trailer().cpu() >= kMaxCpus)
    return "trailer of cpu " + std::to_string(packet.trailer().cpu()) + ": " + cpu_limit();
  for (int i = 0; i < packet.record_size(); ++i) {
    const auto& r = packet.record(i);
    if (r.has_ept01_change() && r.ept01_change().size() > kMaxEpt01ChangeBytes)
      return "chunk of cpu " + std::to_string(packet.cpu()) + ": EPT01 change at seq " +
             std::to_string(packet.first_seq() + i) + " (record " + std::to_string(i) + ") covers " +
             std::to_string(r.ept01_change().size()) + " bytes; at most " +
             std::to_string(kMaxEpt01ChangeBytes) + " are supported";
  }
  if (packet.has_key_frame()) {
    const auto& k = packet.key_frame();
    if (static_cast<uint64_t>(k.next_seq_size()) > kMaxCpus)
      return "key frame " + std::to_string(k.id()) + " lists " + std::to_string(k.next_seq_size()) +
             " CPUs; at most " + std::to_string(kMaxCpus) + " are supported";
    for (const auto& r : k.region())
      if (r.bytes() > kMaxKeyFrameRegionBytes)
        return "key frame " + std::to_string(k.id()) + " declares region '" + sanitize_utf8(r.name()) + "' of " +
               std::to_string(r.bytes()) + " bytes; at most " +
               std::to_string(kMaxKeyFrameRegionBytes) + " are supported";
  }
  return "";
}

}  // namespace nestrr::eventlog::detail
