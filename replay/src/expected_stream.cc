// A streamed log as a replay source (expected_stream.h).
#include "expected_stream.h"

#include <algorithm>
#include <stdexcept>

#include "event_check.h"

namespace nestrr::replay {

ExpectedStream::ExpectedStream(std::istream& in) : stream_(in) {
  const nestrr::v1::Header* header = stream_.header();
  scenario_ = replayable_scenario(header);
  if (header->format_version() < kTicketFormatVersion)
    throw std::invalid_argument("a version " + std::to_string(header->format_version()) +
                                " log has no lock tickets: its lock order needs the whole log");
  if (header->sink() == nestrr::v1::Header::SINK_FLIGHT_RECORDER)
    throw std::invalid_argument(
        "a flight-recorder dump is replayed from the whole log (its key frames come last)");
  cpus_.resize(scenario_.cpu_count());
}

void ExpectedStream::push_lost(Cpu& c, std::string note) {
  Item& item = c.items.emplace_back();
  item.bytes = std::move(note);
  item.record.role = ExpectedRecord::Role::kLost;
  item.record.seq = c.expect;
  item.record.note = item.bytes;
  c.done = true;
}

bool ExpectedStream::pull(uint32_t cpu) {
  Cpu& c = cpus_[cpu];
  if (c.done) return false;
  for (;;) {
    eventlog::Event* ev = stream_.front(cpu);
    auto who = [cpu] { return "cpu" + std::to_string(cpu); };
    if (!ev) {
      const nestrr::v1::Trailer* t = stream_.trailer(cpu);
      if (!t && c.expect == 0 && c.items.empty() && c.base == 0) {
        push_lost(c, who() + " has no record in the log, and no trailer: the header declares it, "
                             "but what it did is unknown");
        return true;
      }
      if (!t) {
        push_lost(c, who() + "'s stream ends at seq " + std::to_string(c.expect) +
                         " without its trailer: the capture ended before the recording did "
                         "(QEMU killed, the capture stopped), so what that CPU did next is unknown");
        return true;
      }
      if (t->next_seq() > c.expect) {
        push_lost(c, who() + "'s records #" + std::to_string(c.expect) + " to #" +
                         std::to_string(t->next_seq() - 1) +
                         " were lost at the end of its stream (its trailer counts them)");
        return true;
      }
      c.done = true;
      return false;
    }
    if (ev->seq > c.expect) {
      push_lost(c, who() + "'s records #" + std::to_string(c.expect) + " to #" +
                       std::to_string(ev->seq - 1) + " were lost in transport (before byte " +
                       std::to_string(ev->stream_offset) + ")");
      return true;
    }
    c.expect = ev->seq + 1;
    const nestrr::v1::Record& original = ev->record;
    if (original.has_records_lost()) {
      push_lost(c, who() + "'s logger dropped " + std::to_string(original.records_lost().count()) +
                       " records before seq " + std::to_string(ev->seq) + " (ring full)");
      stream_.pop(cpu);
      return true;
    }
    // Console text and memory snapshots are not steps of the run.
    if (original.has_console_text() || original.has_memory_snapshot()) {
      stream_.pop(cpu);
      continue;
    }
    if (!c.items.empty() && c.items.back().record.role == ExpectedRecord::Role::kCut) {
      push_lost(c, who() + " has records after its cut (seq " + std::to_string(ev->seq) +
                       "): a cut is a CPU's last record");
      return true;
    }
    nestrr::v1::Record r = std::move(ev->record);
    normalize(&r, ev->guest_rip);
    Item& item = c.items.emplace_back();
    classify(r, &item.record);
    item.record.seq = ev->seq;
    item.record.tsc = ev->tsc;
    if (item.record.role != ExpectedRecord::Role::kCut) {
      r.SerializeToString(&item.bytes);
      item.record.bytes = item.bytes;
    }
    stream_.pop(cpu);
    return true;
  }
}

const ExpectedRecord* ExpectedStream::at(uint32_t cpu, uint64_t index) {
  if (cpu >= cpus_.size()) return nullptr;
  Cpu& c = cpus_[cpu];
  if (index < c.base) return nullptr;  // released: never asked for (see ExpectedSource)
  while (index >= c.base + c.items.size()) {
    if (!pull(cpu)) return nullptr;
    if ((++pulls_ & 255) == 0) held_peak_ = std::max(held_peak_, held());
  }
  return &c.items[index - c.base].record;
}

void ExpectedStream::release(uint32_t cpu, uint64_t index) {
  Cpu& c = cpus_[cpu];
  while (c.base < index && !c.items.empty()) {
    c.items.pop_front();
    c.base++;
  }
}

uint64_t ExpectedStream::seq_at(uint32_t cpu, uint64_t index) {
  if (const ExpectedRecord* e = at(cpu, index)) return e->seq;
  const Cpu& c = cpus_[cpu];
  return c.expect + (index - c.base - c.items.size());
}

uint64_t ExpectedStream::held() const {
  uint64_t n = stream_.queued();
  for (const Cpu& c : cpus_) n += c.items.size();
  return n;
}

}  // namespace nestrr::replay
