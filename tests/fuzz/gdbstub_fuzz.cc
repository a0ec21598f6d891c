// libFuzzer target: arbitrary client bytes through the gdbstub's packet
// reader and packet table, against a recorded-state target over a small
// log (two CPUs, an NMI, an assertion with registers and stack bytes, a
// memory snapshot). Nothing a client sends may crash the server.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "nestrr/gdbstub/packet.h"
#include "nestrr/gdbstub/recorded_target.h"
#include "nestrr/gdbstub/server.h"

namespace {

nestrr::eventlog::Log make_log() {
  using nestrr::eventlog::Event;
  nestrr::eventlog::Log log;
  log.header.emplace();
  log.header->set_format_version(2);
  log.header->set_cpu_count(2);
  log.streams.resize(2);
  for (uint32_t cpu = 0; cpu < 2; ++cpu) log.streams[cpu].cpu = cpu;
  Event nmi;
  nmi.cpu = 1;
  nmi.tsc = 10;
  nmi.record.mutable_nmi_received()->set_interrupted_rip(0x401000);
  log.streams[1].events.push_back(nmi);
  Event snap;
  snap.cpu = 0;
  snap.tsc = 20;
  snap.record.mutable_memory_snapshot()->set_address(0x5000);
  snap.record.mutable_memory_snapshot()->set_data(std::string(64, '\x5a'));
  log.streams[0].events.push_back(snap);
  Event a;
  a.cpu = 0;
  a.seq = 1;
  a.tsc = 30;
  auto* af = a.record.mutable_assertion_failure();
  af->set_condition("x");
  af->set_rip(0x401234);
  af->mutable_registers()->set_rsp(0x7000);
  af->mutable_registers()->set_rip(0x401234);
  af->set_stack_address(0x7000);
  af->set_stack(std::string(256, '\x11'));
  log.streams[0].events.push_back(a);
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nestrr::gdbstub;
  static RecordedTarget target(make_log(), nullptr);
  std::string why;
  target.seek(2, why);
  auto server = std::make_unique<GdbServer>(target);
  PacketReader reader(512);  // a small bound, so that inputs reach it
  size_t replies = 0;
  for (size_t i = 0; i < size; ++i) {
    auto ev = reader.feed(data[i]);
    if (!ev || ev->kind != ReaderEvent::Kind::kPacket) continue;
    bool no_reply = false;
    std::string reply = server->handle(ev->payload, no_reply);
    replies += frame_packet(reply).size();
    if (server->done()) server = std::make_unique<GdbServer>(target);
  }
  // Every packet must also parse when it arrives whole, unframed.
  bool no_reply = false;
  server->handle(std::string_view(reinterpret_cast<const char*>(data), size), no_reply);
  return replies == 0 ? 0 : 0;
}
