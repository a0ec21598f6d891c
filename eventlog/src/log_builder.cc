// Log assembly: frames -> packets -> per-CPU streams, with every loss,
// duplicate, conflict and schema surprise counted.
#include "nestrr/eventlog/log_builder.h"

#include <algorithm>

#include "nestrr/eventlog/capture.h"
#include "nestrr/eventlog/chunk_events.h"
#include "packet_limits.h"
#include "tail_loss.h"
#include "text_util.h"
#include "unknown_fields.h"

namespace nestrr::eventlog {
namespace {

uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a + b < a ? UINT64_MAX : a + b;
}

}  // namespace

LogBuilder::LogBuilder(RecordSink* sink) : reader_(*this), sink_(sink) {}
LogBuilder::~LogBuilder() = default;

void LogBuilder::feed(std::span<const uint8_t> bytes) {
  live_.bytes += bytes.size();
  reader_.feed(bytes);
}

void LogBuilder::feed(std::string_view bytes) {
  feed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

void LogBuilder::feed_all(std::istream& in) {
  std::string buffer(64 * 1024, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = in.gcount();
    if (got <= 0) break;
    feed(std::string_view(buffer.data(), static_cast<size_t>(got)));
  }
}

void LogBuilder::warn(uint64_t offset, std::string message) {
  auto& stats = log_.stats;
  if (stats.warnings.size() >= Stats::kMaxWarnings) {
    ++stats.warnings_suppressed;
    return;
  }
  stats.warnings.push_back(Warning{offset, std::move(message)});
}

void LogBuilder::on_damage(const Damage& damage) {
  ++log_.stats.frames_damaged[static_cast<int>(damage.kind)];
  ++log_.stats.resyncs;
  log_.stats.damaged_bytes += damage.length;
  ++live_.frames_damaged;
  log_.damage.push_back(damage);
}

void LogBuilder::on_text(const TextLine& line) {
  ++log_.stats.text_lines;
  if (line.text.substr(0, kReconnectMark.size()) == kReconnectMark) ++log_.stats.capture_reconnects;
  Event event;
  event.cpu = kNoCpu;
  event.seq = log_.console.size();
  event.tsc = last_tsc_;
  event.stream_offset = line.offset;
  auto* text = event.record.mutable_console_text();
  text->set_text(detail::sanitize_utf8(line.text));
  text->set_stream_offset(line.offset);
  if (sink_) {
    sink_->on_console(event);
    if (!log_.console.empty()) return;  // bounded: the first line tells a non-log apart
  }
  log_.console.push_back(std::move(event));
}

void LogBuilder::on_frame(const Frame& frame) {
  nestrr::v1::Packet& packet = packet_;
  if (!packet.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
    // The CRC held, so the writer sent this: a schema or writer bug.
    on_damage(Damage{DamageKind::kBadPacket, frame.offset, frame.length,
                     "CRC is good but the " + std::to_string(frame.payload.size()) +
                         "-byte payload does not parse as nestrr.v1.Packet"});
    return;
  }
  if (std::string why = detail::packet_limit_problem(packet); !why.empty()) {
    on_damage(Damage{DamageKind::kBadPacket, frame.offset, frame.length, std::move(why)});
    return;
  }
  ++log_.stats.frames_ok;
  if (frame.mark_repaired) ++log_.stats.frames_repaired;
  ++live_.frames_ok;
  log_.stats.frame_bytes += frame.length;
  detail::for_each_unknown_field(packet, [&](const std::string& message, int number) {
    ++log_.stats.unknown_fields;
    auto [it, fresh] = unknown_seen_.try_emplace({message, number}, 0);
    ++it->second;
    if (fresh) {
      warn(frame.offset, "unknown field " + std::to_string(number) + " in " + message +
                             " (written by a newer schema?): ignored, rest of the packet kept");
    }
  });
  add_packet(packet, frame.offset);
}

void LogBuilder::add_packet(nestrr::v1::Packet& packet, uint64_t offset) {
  bool known = false;
  if (packet.has_header()) {
    add_header(packet.header(), offset);
    known = true;
  }
  if (packet.has_trailer()) {
    ++log_.stats.trailers;
    const auto& trailer = packet.trailer();
    auto& cpu = cpus_[trailer.cpu()];
    if (cpu.trailer && cpu.trailer->next_seq() > trailer.next_seq()) {
      warn(offset, "trailer of cpu" + std::to_string(trailer.cpu()) + " says next_seq " +
                       std::to_string(trailer.next_seq()) + ", an earlier one said " +
                       std::to_string(cpu.trailer->next_seq()) + ": keeping the larger");
    } else {
      cpu.trailer = trailer;
      cpu.trailer_offset = offset;
    }
    known = true;
  }
  if (chunk_records(packet) > 0) {
    add_chunk(packet, offset);
    known = true;
  }
  if (packet.has_key_frame()) {
    ++log_.stats.key_frame_pieces;
    key_frames_.add(packet.key_frame(), offset);
    known = true;
  }
  if (!known && packet.cpu() == 0 && packet.first_seq() == 0 && packet.tsc_base() == 0) {
    warn(offset, "packet carries no header, trailer, record or key frame");
  } else if (!known) {
    ++log_.stats.chunks;  // a chunk of zero records: legal, carries nothing
  }
}

void LogBuilder::add_header(const nestrr::v1::Header& header, uint64_t offset) {
  ++log_.stats.headers;
  if (log_.header) {
    if (log_.header->SerializeAsString() != header.SerializeAsString()) {
      warn(offset, "header differs from the first header: keeping the first");
    }
    return;
  }
  log_.header = header;
  if (header.format_version() > kFormatVersion) {
    warn(offset, "log format version " + std::to_string(header.format_version()) +
                     " is newer than this reader's version " + std::to_string(kFormatVersion) +
                     ": reading what this version understands");
  } else if (header.format_version() == 0) {
    warn(offset, "header has format_version 0 (must be > 0)");
  }
  if (header.cpu_count() == 0) warn(offset, "header has cpu_count 0 (must be > 0)");
}

void LogBuilder::add_chunk(nestrr::v1::Packet& packet, uint64_t offset) {
  ++log_.stats.chunks;
  const uint32_t cpu_id = packet.cpu();
  auto& cpu = cpus_[cpu_id];
  const uint64_t n = chunk_records(packet);
  const uint64_t first = packet.first_seq();
  // Live estimate of transport loss; finish() recounts exactly.
  const bool flight = log_.header &&
                      log_.header->sink() == nestrr::v1::Header::SINK_FLIGHT_RECORDER;
  if (first > cpu.next_expected && (cpu.seen || !flight)) {
    live_.records_lost_transport = saturating_add(live_.records_lost_transport,
                                                  first - cpu.next_expected);
  }
  if (!cpu.seen || first + n > cpu.next_expected) cpu.next_expected = first + n;
  cpu.seen = true;

  std::string why;
  const size_t before = cpu.events.size();
  const auto last = take_chunk_events(packet, offset, [&](Event&& event) {
    if (event.record.has_records_lost()) {
      const auto& lost = event.record.records_lost();
      live_.records_dropped_logger = saturating_add(live_.records_dropped_logger, lost.count());
      if (lost.cpu() != cpu_id)
        warn(offset, "RecordsLost in a chunk of cpu" + std::to_string(cpu_id) + " names cpu" +
                         std::to_string(lost.cpu()));
    }
    cpu.events.push_back(std::move(event));
  }, &why);
  if (!last) {
    // The CRC held, so the writer sent this: a writer bug, its records lost.
    on_damage(Damage{DamageKind::kBadPacket, offset, 0,
                     "chunk of cpu" + std::to_string(cpu_id) + " from seq " +
                         std::to_string(first) + ": " + why});
    return;
  }
  last_tsc_ = *last;
  live_.records += n;
  if (sink_) settle_streamed(cpu_id, cpu, cpu.events.size() - before);
}

void LogBuilder::settle(uint32_t cpu_id, PendingCpu& pending, size_t from) {
  auto& stats = log_.stats;
  auto& events = pending.events;
  const bool flight = log_.header &&
                      log_.header->sink() == nestrr::v1::Header::SINK_FLIGHT_RECORDER;
  // Kept events are compacted in place (kept <= read): no second copy of
  // every record.
  size_t kept_n = from;
  for (size_t i = from; i < events.size(); ++i) {
    Event& event = events[i];
    if (pending.any && event.seq == events[kept_n - 1].seq) {
      const Event& kept = events[kept_n - 1];
      if (kept.tsc == event.tsc &&
          kept.record.SerializeAsString() == event.record.SerializeAsString()) {
        ++stats.duplicate_records;
      } else {
        ++stats.conflicting_records;
        if (pending.warnings.size() < Stats::kMaxWarnings) {
          pending.warnings.push_back(Warning{
              event.stream_offset, "cpu" + std::to_string(cpu_id) + " seq " + std::to_string(event.seq) +
                                       " seen twice with different content; keeping the one at byte " +
                                       std::to_string(kept.stream_offset)});
        } else {
          ++pending.warnings_over;
        }
      }
      continue;
    }
    // A flight recorder keeps only the last records: its first gap is the
    // logger's overwrite, counted by RecordsLost, not transport loss.
    if (!pending.any) {
      pending.first_offset = event.stream_offset;
      if (!log_.header && event.seq > 0) {
        pending.first_gap_undecided = SeqGap{cpu_id, 0, event.seq, event.stream_offset, false};
        pending.expected = event.seq;
      } else if (flight) {
        pending.expected = event.seq;
      }
    }
    if (event.seq > pending.expected) {
      pending.gaps.push_back(SeqGap{cpu_id, pending.expected, event.seq, event.stream_offset, false});
      pending.lost_transport = saturating_add(pending.lost_transport, event.seq - pending.expected);
    }
    pending.expected = event.seq + 1;
    pending.any = true;
    ++pending.kept;
    if (event.record.has_records_lost()) {
      pending.dropped_logger = saturating_add(pending.dropped_logger, event.record.records_lost().count());
    }
    if (kept_n != i) events[kept_n] = std::move(event);
    ++kept_n;
  }
  events.resize(kept_n);
}

void LogBuilder::settle_streamed(uint32_t cpu_id, PendingCpu& pending, size_t added) {
  auto& events = pending.events;
  const size_t from = events.size() - added;  // 0, or 1: the last settled record
  // Settled in arrival order, which must be seq order from the last
  // settled record on; a record behind one before it came late.
  size_t in_order = from;
  for (size_t i = from; i < events.size(); ++i) {
    if (in_order > 0 && events[i].seq < events[in_order - 1].seq) {
      ++late_records_;
      continue;
    }
    if (in_order != i) events[in_order] = std::move(events[i]);
    ++in_order;
  }
  events.resize(in_order);
  settle(cpu_id, pending, from);
  if (events.size() <= 1) return;
  for (size_t i = 0; i + 1 < events.size(); ++i) sink_->on_record(events[i]);
  events.front() = std::move(events.back());
  events.resize(1);
}

void LogBuilder::finish_cpu(uint32_t cpu_id, PendingCpu& pending, CpuStream& out) {
  auto& stats = log_.stats;
  auto& events = pending.events;
  if (!sink_) {
    auto by_seq = [](const Event& a, const Event& b) { return a.seq < b.seq; };
    // A stream arrives in order unless the capture was spliced: then only
    // the check costs, not a sort that moves every record.
    if (!std::is_sorted(events.begin(), events.end(), by_seq))
      std::stable_sort(events.begin(), events.end(), by_seq);
    settle(cpu_id, pending, 0);
  } else if (!events.empty()) {
    sink_->on_record(events.back());  // the last record: kept for the tail's accounting too
  }
  const bool flight = log_.header &&
                      log_.header->sink() == nestrr::v1::Header::SINK_FLIGHT_RECORDER;
  if (pending.first_gap_undecided && !flight) {
    const SeqGap& g = *pending.first_gap_undecided;
    pending.gaps.insert(pending.gaps.begin(), g);
    pending.lost_transport = saturating_add(pending.lost_transport, g.count());
  }
  for (auto& w : pending.warnings) warn(w.stream_offset, std::move(w.message));
  stats.warnings_suppressed += pending.warnings_over;
  log_.gaps.insert(log_.gaps.end(), pending.gaps.begin(), pending.gaps.end());
  out.cpu = cpu_id;
  out.trailer = pending.trailer;
  out.records_lost_transport = pending.lost_transport;
  out.records_dropped_logger = pending.dropped_logger;
  out.streamed = pending.kept - events.size();
  out.events = std::move(events);
  events = {};
  uint64_t expected = pending.expected;
  const bool any = pending.any;
  if (pending.trailer) {
    const uint64_t next = pending.trailer->next_seq();
    if (!any && flight) expected = next;
    if (next > expected) {
      log_.gaps.push_back(SeqGap{cpu_id, expected, next, pending.trailer_offset, true});
      out.records_lost_transport = saturating_add(out.records_lost_transport, next - expected);
    } else if (any && next < expected) {
      warn(pending.trailer_offset, "trailer of cpu" + std::to_string(cpu_id) + " says next_seq " +
                                       std::to_string(next) + " but seq " +
                                       std::to_string(expected - 1) + " was seen");
    }
    if (pending.trailer->dropped() != out.records_dropped_logger) {
      warn(pending.trailer_offset,
           "trailer of cpu" + std::to_string(cpu_id) + " counts " +
               std::to_string(pending.trailer->dropped()) + " logger drops, RecordsLost records sum to " +
               std::to_string(out.records_dropped_logger));
    }
  }
  if (log_.header && log_.header->cpu_count() > 0 && cpu_id >= log_.header->cpu_count()) {
    warn(any ? pending.first_offset : pending.trailer_offset,
         "cpu" + std::to_string(cpu_id) + " is beyond the header's cpu_count " +
             std::to_string(log_.header->cpu_count()) + "; its events are kept");
  }
  stats.records += out.record_count();
  stats.records_lost_transport = saturating_add(stats.records_lost_transport,
                                                out.records_lost_transport);
  stats.records_dropped_logger = saturating_add(stats.records_dropped_logger,
                                                out.records_dropped_logger);
}

// A stream that ends inside a frame ends in a kCut report (the last one):
// what its prefix says it carried, with the rest of the tail loss.
void LogBuilder::account_cut_tail() {
  std::optional<detail::CutFrame> cut;
  if (!log_.damage.empty() && log_.damage.back().kind == DamageKind::kCut) {
    const Damage& d = log_.damage.back();
    cut = detail::CutFrame{d.offset, detail::read_cut_chunk(d.payload_prefix)};
  }
  detail::account_tail_loss(log_, cut);
}

Log LogBuilder::finish() {
  if (finished_) return Log{};
  finished_ = true;
  reader_.finish();
  log_.stats.bytes = reader_.bytes_fed();
  log_.stats.text_bytes = log_.stats.bytes - log_.stats.frame_bytes - log_.stats.damaged_bytes;
  for (auto& [cpu_id, pending] : cpus_) {
    CpuStream stream;
    finish_cpu(cpu_id, pending, stream);
    log_.streams.push_back(std::move(stream));
  }
  cpus_.clear();
  account_cut_tail();
  log_.key_frames = key_frames_.finish();
  for (const auto& f : log_.key_frames)
    if (!f.complete())
      warn(f.stream_offset, "key frame " + std::to_string(f.id) + " is unusable: " + f.problem);
  if (!log_.header && (log_.stats.chunks > 0 || log_.stats.trailers > 0)) {
    warn(0, "no header packet in the stream: CPU count and TSC rate unknown");
  }
  for (const auto& [key, count] : unknown_seen_) {
    if (count > 1) {
      warn(0, "unknown field " + std::to_string(key.second) + " in " + key.first + " seen " +
                  std::to_string(count) + " times in all");
    }
  }
  return std::move(log_);
}

}  // namespace nestrr::eventlog
