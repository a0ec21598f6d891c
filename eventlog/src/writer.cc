// Packet -> frame encoding through the frozen C frame layer, with chunk
// splitting that keeps every chunk self-contained.
#include "nestrr/eventlog/writer.h"

#include <stdexcept>
#include <string>

#include "nestrr/eventlog/chunk_events.h"
#include "nestrr/frame.h"

namespace nestrr::eventlog {

StreamWriter::StreamWriter(Output out) : out_(std::move(out)) {}

StreamWriter::StreamWriter(std::ostream& out)
    : out_([&out](std::string_view bytes) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); }) {}

void StreamWriter::emit(std::string_view bytes) {
  out_(bytes);
  offset_ += bytes.size();
}

void StreamWriter::frame(const nestrr::v1::Packet& packet) {
  const std::string payload = packet.SerializeAsString();
  if (payload.size() > NESTRR_FRAME_MAX_PAYLOAD) {
    throw std::length_error("packet of " + std::to_string(payload.size()) +
                            " bytes exceeds the frame payload limit of " +
                            std::to_string(NESTRR_FRAME_MAX_PAYLOAD));
  }
  char line[NESTRR_FRAME_MAX_LINE];
  const unsigned long n = nestrr_frame_encode(payload.data(), payload.size(), line);
  WrittenFrame written;
  written.offset = offset_;
  written.length = n;
  written.is_chunk = chunk_records(packet) > 0;
  written.cpu = packet.cpu();
  written.first_seq = packet.first_seq();
  written.records = chunk_records(packet);
  emit(std::string_view(line, n));
  frames_.push_back(written);
}

void StreamWriter::packet(const nestrr::v1::Packet& packet) { frame(packet); }

void StreamWriter::header(const nestrr::v1::Header& header) {
  nestrr::v1::Packet packet;
  *packet.mutable_header() = header;
  frame(packet);
}

void StreamWriter::trailer(uint32_t cpu, uint64_t next_seq, uint64_t dropped) {
  nestrr::v1::Packet packet;
  auto* trailer = packet.mutable_trailer();
  trailer->set_cpu(cpu);
  trailer->set_next_seq(next_seq);
  trailer->set_dropped(dropped);
  frame(packet);
}

void StreamWriter::text(std::string_view line) {
  std::string bytes(line);
  bytes.push_back('\n');
  emit(bytes);
}

size_t StreamWriter::chunk(uint32_t cpu, uint64_t first_seq, uint64_t tsc_base,
                           std::span<const nestrr::v1::Record> records) {
  size_t frames = 0;
  nestrr::v1::Packet packet;
  uint64_t chunk_rip = 0;  // guest RIP of the chunk's previous VmExit
  auto start = [&](uint64_t seq, uint64_t base) {
    packet.Clear();
    packet.set_cpu(cpu);
    packet.set_first_seq(seq);
    packet.set_tsc_base(base);
    chunk_rip = 0;
  };
  start(first_seq, tsc_base);
  uint64_t tsc = tsc_base;  // absolute TSC of the previous record
  uint64_t rip = 0;         // absolute guest RIP of the previous VmExit
  for (size_t i = 0; i < records.size(); ++i) {
    nestrr::v1::Record record = records[i];
    const uint64_t abs_rip =
        record.has_vm_exit() ? rip + static_cast<uint64_t>(record.vm_exit().guest_rip_delta()) : rip;
    auto place = [&] {
      if (record.has_vm_exit()) {
        record.mutable_vm_exit()->set_guest_rip_delta(static_cast<int64_t>(abs_rip - chunk_rip));
      }
      *packet.add_record() = record;
    };
    place();
    if (packet.ByteSizeLong() > NESTRR_FRAME_MAX_PAYLOAD) {
      packet.mutable_record()->RemoveLast();
      if (packet.record_size() == 0) {
        throw std::length_error("record " + std::to_string(i) + " of cpu" + std::to_string(cpu) +
                                " alone exceeds the frame payload limit");
      }
      frame(packet);
      ++frames;
      start(first_seq + i, tsc);
      place();
      if (packet.ByteSizeLong() > NESTRR_FRAME_MAX_PAYLOAD) {
        throw std::length_error("record " + std::to_string(i) + " of cpu" + std::to_string(cpu) +
                                " alone exceeds the frame payload limit");
      }
    }
    if (record.has_vm_exit()) {
      chunk_rip = abs_rip;
      rip = abs_rip;
    }
    tsc += static_cast<uint64_t>(record.dt());
  }
  if (packet.record_size() > 0) {
    frame(packet);
    ++frames;
  }
  return frames;
}

size_t StreamWriter::chunk(std::span<const Event> events) {
  if (events.empty()) return 0;
  std::vector<nestrr::v1::Record> records;
  records.reserve(events.size());
  uint64_t tsc = events.front().tsc;
  uint64_t rip = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.cpu != events.front().cpu || e.seq != events.front().seq + i) {
      throw std::invalid_argument("events for one chunk must be of one CPU with consecutive seqs");
    }
    nestrr::v1::Record record = e.record;
    record.set_dt(static_cast<int64_t>(e.tsc - tsc));
    tsc = e.tsc;
    if (record.has_vm_exit()) {
      record.mutable_vm_exit()->set_guest_rip_delta(static_cast<int64_t>(e.guest_rip - rip));
      rip = e.guest_rip;
    }
    records.push_back(std::move(record));
  }
  return chunk(events.front().cpu, events.front().seq, events.front().tsc, records);
}

}  // namespace nestrr::eventlog
