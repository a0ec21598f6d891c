// Expectations of a replay, read from a log.
#include "expected_log.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

extern "C" {
#include "nestrr/core/core.h"
}

#include "event_check.h"

namespace nestrr::replay {

namespace {

bool is_flight(const eventlog::Log& log) {
  return log.header->sink() == nestrr::v1::Header::SINK_FLIGHT_RECORDER;
}

// The seq of a CPU's first record in the log (its trailer's next_seq when
// it has none).
uint64_t first_kept(const eventlog::CpuStream* s) {
  if (!s) return 0;
  if (!s->events.empty()) return s->events.front().seq;
  return s->trailer ? s->trailer->next_seq() : 0;
}

// Why replay cannot start from key frame `f`, or "" if it can.
std::string unusable(const eventlog::Log& log, const eventlog::KeyFrame& f, uint32_t cpus,
                     const core_config& cfg) {
  if (!f.complete()) return f.problem;
  if (f.next_seq.size() != cpus)
    return "it names " + std::to_string(f.next_seq.size()) + " CPUs, the scenario " +
           std::to_string(cpus);
  const auto* core = f.region("core");
  const auto* phys = f.region("phys");
  if (!core || !phys) return "it lacks the \"core\" or \"phys\" region";
  if (core->bytes != sizeof(struct core))
    return "its core state is " + std::to_string(core->bytes) + " bytes, this build's " +
           std::to_string(sizeof(struct core)) + ": the log comes from another build of the core";
  if (phys->bytes != core_phys_size(&cfg))
    return "its machine memory is " + std::to_string(phys->bytes) + " bytes, the scenario needs " +
           std::to_string(core_phys_size(&cfg));
  for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
    const uint64_t first = first_kept(log.find_cpu(cpu));
    if (first > f.next_seq[cpu])
      return "cpu" + std::to_string(cpu) + "'s records #" + std::to_string(f.next_seq[cpu]) +
             " to #" + std::to_string(first - 1) + " after it were overwritten";
  }
  // Loss after the key frame does not make it unusable: the replay runs
  // from it up to the loss and stops there.
  return "";
}

// A flight log whose rings wrapped: the oldest usable key frame.
ResumePoint resume_point(const eventlog::Log& log, uint32_t cpus, const core_config& cfg) {
  std::string why;
  uint32_t wrapped = 0;
  uint64_t overwritten = 0;
  for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
    const eventlog::CpuStream* s = log.find_cpu(cpu);
    if (first_kept(s) > 0 && !wrapped) wrapped = cpu + 1;
    if (s) overwritten += s->records_dropped_logger;
  }
  for (const auto& f : log.key_frames) {
    std::string problem = unusable(log, f, cpus, cfg);
    if (problem.empty()) {
      ResumePoint r;
      r.key_frame_id = f.id;
      r.next_seq = f.next_seq;
      r.core_image = f.region("core")->flatten();
      const auto* phys = f.region("phys");
      r.phys_bytes = phys->bytes;
      r.phys = phys->pieces;
      for (uint32_t cpu = 0; cpu < cpus; ++cpu)
        if (const auto* s = log.find_cpu(cpu))
          for (const auto& e : s->events) {
            if (e.seq >= f.next_seq[cpu]) break;
            if (!e.record.has_records_lost()) ++r.records_before;
          }
      return r;
    }
    why += "; key frame " + std::to_string(f.id) + ": " + problem;
  }
  const uint32_t cpu = wrapped ? wrapped - 1 : 0;
  throw std::invalid_argument(
      "flight-recorder log: cpu" + std::to_string(cpu) + "'s ring wrapped (" +
      std::to_string(overwritten) + " records overwritten in all), so replay must start from a "
      "key frame, and " +
      (log.key_frames.empty()
           ? std::string("the log has none (the hypervisor took no key frame: see "
                         "docs/integrating.md, \"Key frames\")")
           : "none of its " + std::to_string(log.key_frames.size()) + " is usable" + why));
}

// A version 2 log's acquisitions carry no ticket: number each lock's
// acquisitions in TSC order (a release is logged before the lock is given
// back, an acquisition after it is taken, so on one clock that order is
// the real one). Keyed by (cpu, seq).
std::map<std::pair<uint32_t, uint64_t>, uint64_t> tickets_by_clock(const eventlog::Log& log) {
  struct Acquire {
    uint64_t tsc;
    uint32_t cpu;
    uint64_t seq;
    uint32_t lock;
  };
  std::vector<Acquire> acquires;
  for (const auto& stream : log.streams)
    for (const auto& ev : stream.events)
      if (ev.record.has_sync_point() &&
          ev.record.sync_point().kind() == nestrr::v1::SyncPoint::KIND_ACQUIRE)
        acquires.push_back({ev.tsc, stream.cpu, ev.seq, ev.record.sync_point().object()});
  std::sort(acquires.begin(), acquires.end(), [](const Acquire& a, const Acquire& b) {
    return std::tie(a.tsc, a.cpu, a.seq) < std::tie(b.tsc, b.cpu, b.seq);
  });
  std::map<uint32_t, uint64_t> count;
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> out;
  for (const auto& a : acquires) out[{a.cpu, a.seq}] = count[a.lock]++;
  return out;
}

}  // namespace

Scenario replayable_scenario(const nestrr::v1::Header* header) {
  if (!header) throw std::invalid_argument("the log has no header");
  if (!header->has_scenario())
    throw std::invalid_argument("the log's header has no scenario: it does not come from a run of the core");
  if (header->format_version() < kReplayFormatVersion)
    throw std::invalid_argument(
        "the log is in format version " + std::to_string(header->format_version()) +
        ", whose NMI positions do not name one delivery point and whose CPU ends are not "
        "marked; replay needs version " + std::to_string(kReplayFormatVersion) +
        " or later: record the run again with this nestrr");
  Scenario s = from_proto(header->scenario());
  if (header->cpu_count() != s.cpu_count())
    throw std::invalid_argument("header says " + std::to_string(header->cpu_count()) +
                                " CPUs, scenario " + std::to_string(s.cpu_count()));
  return s;
}

void classify(const nestrr::v1::Record& r, ExpectedRecord* e) {
  using Role = ExpectedRecord::Role;
  if (r.has_nmi_received()) {
    const auto& n = r.nmi_received();
    e->role = Role::kNmi;
    e->object = n.has_source_cpu() ? n.source_cpu() : 0xffffffffu;
    e->progress = n.progress();
  } else if (r.has_sync_point() && r.sync_point().kind() == nestrr::v1::SyncPoint::KIND_ACQUIRE) {
    e->role = Role::kAcquire;
    e->object = r.sync_point().object();
    e->progress = r.sync_point().progress();
    e->ticket = r.sync_point().ticket();
  } else if (r.has_sync_point() && r.sync_point().kind() == nestrr::v1::SyncPoint::KIND_CUT) {
    e->role = Role::kCut;
    e->object = r.sync_point().object();
    e->progress = r.sync_point().progress();
  }
}


ExpectedLog::ExpectedLog(const eventlog::Log& log) {
  scenario_ = replayable_scenario(log.header ? &*log.header : nullptr);
  const core_config cfg = to_core_config(scenario_);
  const uint32_t cpus = scenario_.cpu_count();
  bool wrapped = false;
  for (uint32_t cpu = 0; cpu < cpus; ++cpu) wrapped = wrapped || first_kept(log.find_cpu(cpu)) > 0;
  if (is_flight(log) && wrapped) resume_ = resume_point(log, cpus, cfg);
  const bool clock_tickets = log.header->format_version() < kTicketFormatVersion;
  const auto synthesized = clock_tickets ? tickets_by_clock(log)
                                         : std::map<std::pair<uint32_t, uint64_t>, uint64_t>{};
  for (const auto& stream : log.streams)
    if (stream.cpu >= cpus && !stream.events.empty())
      throw std::invalid_argument("records of cpu " + std::to_string(stream.cpu) +
                                  " beyond the scenario's CPUs");
  cpus_.resize(cpus);
  for (uint32_t id = 0; id < cpus; ++id) {
    const eventlog::CpuStream* stream = log.find_cpu(id);
    Cpu& cpu = cpus_[id];
    const uint64_t from = resume_ ? resume_->next_seq[id] : 0;
    cpu.next_seq = from;
    const std::string who = "cpu" + std::to_string(id);
    // Loss ends what can be replayed of a CPU: the replay runs up to it
    // and stops there (role kLost), as a log read front to back does.
    // Loss before the key frame does not matter: it is not replayed.
    // A flight log counts its overwrites as drops: the key frame covers
    // them. Each overwritten record had a seq before the first one kept;
    // more drops than that are records refused without a seq (the ring's
    // oldest slot was still being written), which no check would see.
    const uint64_t overwritten = resume_ && stream ? first_kept(stream) : 0;
    if (resume_ && stream && stream->records_dropped_logger > overwritten) {
      cpu.lost_note = who + " dropped " + std::to_string(stream->records_dropped_logger - overwritten) +
                      " records besides the " + std::to_string(overwritten) +
                      " its ring overwrote (its oldest slot was still being written), at a place "
                      "the log does not say";
      cpu.records.push_back(lost_record(cpu, from));
      continue;
    }
    const size_t n = stream ? stream->events.size() : 0;
    // One allocation each instead of a doubling series of copies; a
    // normalized record takes about 16 bytes.
    cpu.records.reserve(n + 1);
    cpu.arena.reserve(n * 16);
    std::vector<size_t> begins;
    begins.reserve(n);
    bool cut = false;
    for (size_t k = 0; k < n && cpu.lost_note.empty(); ++k) {
      const eventlog::Event& ev = stream->events[k];
      if (ev.seq < from) continue;
      if (ev.seq > cpu.next_seq) {
        cpu.lost_note = who + "'s records #" + std::to_string(cpu.next_seq) + " to #" +
                        std::to_string(ev.seq - 1) + " were lost in transport (before byte " +
                        std::to_string(ev.stream_offset) + ")";
        break;
      }
      const nestrr::v1::Record& original = ev.record;
      if (original.has_records_lost() && !resume_) {
        cpu.lost_note = who + "'s logger dropped " + std::to_string(original.records_lost().count()) +
                        " records before seq " + std::to_string(ev.seq) + " (ring full)";
        break;
      }
      cpu.next_seq = ev.seq + 1;
      // Memory snapshots are state dumped for the debugger (the testbox
      // logs the failing VCPU after its assertion), not steps of the run.
      if (original.has_records_lost() || original.has_console_text() ||
          original.has_memory_snapshot())
        continue;
      if (cut)
        throw std::invalid_argument(who + " has records after its cut (seq " +
                                    std::to_string(cpu.records.back().seq) +
                                    "): a cut is a CPU's last record");
      nestrr::v1::Record r = original;
      normalize(&r, ev.guest_rip);
      if (clock_tickets && r.has_sync_point() &&
          r.sync_point().kind() == nestrr::v1::SyncPoint::KIND_ACQUIRE)
        r.mutable_sync_point()->set_ticket(synthesized.at({id, ev.seq}));
      ExpectedRecord e;
      classify(r, &e);
      e.seq = ev.seq;
      e.tsc = ev.tsc;
      begins.push_back(cpu.arena.size());
      if (e.role == ExpectedRecord::Role::kCut) cut = true;
      else r.AppendToString(&cpu.arena);
      cpu.records.push_back(e);
    }
    if (cpu.lost_note.empty()) {
      if ((!stream || stream->events.empty()) && (!stream || !stream->trailer)) {
        cpu.lost_note = who + " has no record in the log, and no trailer: the header declares it, "
                        "but what it did is unknown";
      } else if (!stream->trailer) {
        cpu.lost_note = who + "'s stream ends at seq " + std::to_string(cpu.next_seq) +
                        " without its trailer: the capture ended before the recording did (QEMU "
                        "killed, the capture stopped), so what that CPU did next is unknown";
      } else if (stream->trailer->next_seq() > cpu.next_seq) {
        cpu.lost_note = who + "'s records #" + std::to_string(cpu.next_seq) + " to #" +
                        std::to_string(stream->trailer->next_seq() - 1) +
                        " were lost at the end of its stream (its trailer counts them)";
      }
    }
    // The arena is final: point each record at its bytes.
    for (size_t i = 0; i < cpu.records.size(); ++i) {
      const size_t end = i + 1 < begins.size() ? begins[i + 1] : cpu.arena.size();
      cpu.records[i].bytes = std::string_view(cpu.arena).substr(begins[i], end - begins[i]);
    }
    if (!cpu.lost_note.empty()) cpu.records.push_back(lost_record(cpu, cpu.next_seq));
  }
}

ExpectedRecord ExpectedLog::lost_record(const Cpu& cpu, uint64_t seq) {
  ExpectedRecord e;
  e.role = ExpectedRecord::Role::kLost;
  e.seq = seq;
  e.note = cpu.lost_note;
  return e;
}

const ExpectedRecord* ExpectedLog::at(uint32_t cpu, uint64_t index) {
  const auto& records = cpus_[cpu].records;
  return index < records.size() ? &records[index] : nullptr;
}

uint64_t ExpectedLog::seq_at(uint32_t cpu, uint64_t index) {
  const Cpu& c = cpus_[cpu];
  if (index < c.records.size()) return c.records[index].seq;
  return c.next_seq + (index - c.records.size());
}

}  // namespace nestrr::replay
