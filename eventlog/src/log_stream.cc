// Front-to-back log reading in bounded memory (log_stream.h).
#include "nestrr/eventlog/log_stream.h"

#include <algorithm>

#include "nestrr/eventlog/chunk_events.h"
#include "packet_limits.h"
#include "wire.h"

namespace nestrr::eventlog {
namespace {

// Small blocks: what a read decodes ahead of the consumer is what it holds.
constexpr size_t kBlock = 64 * 1024;

// The CPU a chunk packet is of (its last Packet.cpu field, as a parse
// takes it; 0 when it names none), found by walking its top-level fields
// without parsing them. nullopt for a packet with more than records (a
// header, trailer or key frame, which name their CPU inside) and when the
// walk fails (the parse says why).
std::optional<uint64_t> packet_cpu(std::string_view payload) {
  using namespace wire;
  Wire w(payload);
  uint64_t cpu = 0;
  while (!w.done()) {
    uint64_t key, v;
    if (!w.varint(&key)) return std::nullopt;
    const uint64_t field = key >> 3;
    if (field == kPacketHeader || field == kPacketTrailer || field == kPacketKeyFrame) return std::nullopt;
    if (field == kPacketCpu && (key & 7) == 0) {
      if (!w.varint(&v)) return std::nullopt;
      cpu = v;
    } else if (!w.skip(static_cast<uint32_t>(key & 7))) {
      return std::nullopt;
    }
  }
  return cpu;
}

}  // namespace

LogStream::LogStream(std::istream& in, std::optional<uint32_t> only_cpu, uint64_t max_bytes)
    : in_(in), only_cpu_(only_cpu), left_(max_bytes), reader_(*this), block_(kBlock) {}
LogStream::~LogStream() = default;

bool LogStream::read_block() {
  if (eof_) return false;
  const uint64_t want = std::min<uint64_t>(block_.size(), left_);
  std::streamsize got = 0;
  if (want > 0) {
    in_.read(block_.data(), static_cast<std::streamsize>(want));
    got = in_.gcount();
  }
  if (got > 0) {
    left_ -= static_cast<uint64_t>(got);
    reader_.feed(std::string_view(block_.data(), static_cast<size_t>(got)));
  }
  if (got <= 0 || !in_ || left_ == 0) {
    reader_.finish();
    eof_ = true;
  }
  return got > 0;
}

const nestrr::v1::Header* LogStream::header() {
  while (!header_ && !eof_) read_block();
  return header_ ? &*header_ : nullptr;
}

Event* LogStream::front(uint32_t cpu) {
  for (;;) {
    auto it = cpus_.find(cpu);
    if (it != cpus_.end() && !it->second.queue.empty()) return &it->second.queue.front();
    if (eof_) return nullptr;
    read_block();
  }
}

void LogStream::pop(uint32_t cpu) {
  auto it = cpus_.find(cpu);
  if (it == cpus_.end() || it->second.queue.empty()) return;
  it->second.queue.pop_front();
  --queued_;
}

const nestrr::v1::Trailer* LogStream::trailer(uint32_t cpu) const {
  auto it = cpus_.find(cpu);
  return it != cpus_.end() && it->second.trailer ? &*it->second.trailer : nullptr;
}

void LogStream::on_frame(const Frame& frame) {
  // Another CPU's chunk: not worth parsing for a reader of one CPU.
  if (only_cpu_) {
    const auto cpu = packet_cpu(frame.payload);
    if (cpu && *cpu != *only_cpu_) return;
  }
  nestrr::v1::Packet& packet = packet_;
  if (!packet.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
    on_damage(Damage{DamageKind::kBadPacket, frame.offset, frame.length,
                     "CRC is good but the " + std::to_string(frame.payload.size()) +
                         "-byte payload does not parse as nestrr.v1.Packet"});
    return;
  }
  if (std::string why = detail::packet_limit_problem(packet); !why.empty()) {
    on_damage(Damage{DamageKind::kBadPacket, frame.offset, frame.length, std::move(why)});
    return;
  }
  if (packet.has_header() && !header_) header_ = packet.header();
  if (packet.has_trailer()) {
    Cpu& c = cpus_[packet.trailer().cpu()];
    if (!c.trailer || c.trailer->next_seq() < packet.trailer().next_seq()) c.trailer = packet.trailer();
  }
  if (chunk_records(packet) == 0 || (only_cpu_ && packet.cpu() != *only_cpu_)) return;
  Cpu& c = cpus_[packet.cpu()];
  std::string why;
  const auto last = take_chunk_events(packet, frame.offset, [&](Event&& event) {
    ++records_;
    // Already past it: a repeated chunk, or one that came too late.
    if (c.seen && event.seq < c.next_push) {
      ++duplicates_;
      return;
    }
    c.seen = true;
    c.next_push = event.seq + 1;
    c.queue.push_back(std::move(event));
    ++queued_;
  }, &why);
  if (!last)
    on_damage(Damage{DamageKind::kBadPacket, frame.offset, frame.length,
                     "chunk of cpu" + std::to_string(packet.cpu()) + ": " + why});
}

}  // namespace nestrr::eventlog
