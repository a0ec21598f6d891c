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
  for (const auto& g : log.gaps)
    if (g.cpu < cpus && g.to > f.next_seq[g.cpu])
      return "cpu" + std::to_string(g.cpu) + " lost records #" + std::to_string(g.from) +
             " to #" + std::to_string(g.to - 1) + " after it";
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
  // Loss before the key frame does not matter: it is not replayed.
  std::vector<eventlog::SeqGap> gaps;
  for (const auto& g : log.gaps)
    if (!resume_ || g.cpu >= cpus || g.to > resume_->next_seq[g.cpu]) gaps.push_back(g);
  if (!log.damage.empty() || !gaps.empty()) {
    std::string what;
    if (!log.damage.empty())
      what = std::to_string(log.damage.size()) + " damaged frame(s), the first " +
             eventlog::describe(log.damage.front());
    if (!gaps.empty()) {
      const auto& g = gaps.front();
      what += (what.empty() ? "" : "; ") + std::to_string(gaps.size()) +
              " gap(s) in the records, the first on cpu" + std::to_string(g.cpu) + ", seq " +
              std::to_string(g.from) + " to " + std::to_string(g.to) +
              (g.tail ? " (the end of its stream, by its trailer)" : "");
    }
    throw std::invalid_argument("the log has damage or loss (" + what +
                                "); replay needs every record");
  }
  for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
    const eventlog::CpuStream* s = log.find_cpu(cpu);
    if (!s || !s->trailer)
      throw std::invalid_argument(
          "cpu" + std::to_string(cpu) + "'s stream has no trailer: the capture ended before the "
          "recording did (QEMU killed, the capture stopped), so where that CPU stopped is unknown; "
          "replay needs the whole log (nestrr testbox --time-limit ends a run with its trailers)");
  }
  const bool clock_tickets = log.header->format_version() < kTicketFormatVersion;
  const auto synthesized = clock_tickets ? tickets_by_clock(log)
                                         : std::map<std::pair<uint32_t, uint64_t>, uint64_t>{};
  cpus_.resize(cpus);
  for (const auto& stream : log.streams) {
    if (stream.cpu >= cpus)
      throw std::invalid_argument("records of cpu " + std::to_string(stream.cpu) +
                                  " beyond the scenario's CPUs");
    // A flight log counts its overwrites as drops: the key frame covers
    // them. Each overwritten record had a seq before the first one kept;
    // more drops than that are records refused without a seq (the ring's
    // oldest slot was still being written), which no check would see.
    const uint64_t overwritten = resume_ ? first_kept(&stream) : 0;
    if (stream.records_dropped_logger > overwritten) {
      if (resume_)
        throw std::invalid_argument(
            "cpu" + std::to_string(stream.cpu) + " dropped " +
            std::to_string(stream.records_dropped_logger - overwritten) +
            " records besides the " + std::to_string(overwritten) +
            " its ring overwrote (its oldest slot was still being written); replay needs every "
            "record after the key frame");
      throw std::invalid_argument("cpu " + std::to_string(stream.cpu) + " lost " +
                                  std::to_string(stream.records_dropped_logger) +
                                  " records in the logger; replay needs every record");
    }
    Cpu& cpu = cpus_[stream.cpu];
    const uint64_t from = resume_ ? resume_->next_seq[stream.cpu] : 0;
    // One allocation each instead of a doubling series of copies; a
    // normalized record takes about 16 bytes.
    cpu.records.reserve(stream.events.size());
    cpu.arena.reserve(stream.events.size() * 16);
    std::vector<size_t> begins;
    begins.reserve(stream.events.size());
    bool cut = false;
    cpu.next_seq = from;
    for (const auto& ev : stream.events) {
      if (ev.seq < from) continue;
      const nestrr::v1::Record& original = ev.record;
      // Memory snapshots are state dumped for the debugger (the testbox
      // logs the failing VCPU after its assertion), not steps of the run.
      if (original.has_records_lost() || original.has_console_text() ||
          original.has_memory_snapshot())
        continue;
      if (cut)
        throw std::invalid_argument("cpu " + std::to_string(stream.cpu) + " has records after its cut (seq " +
                                    std::to_string(cpu.records.back().seq) +
                                    "): a cut is a CPU's last record");
      nestrr::v1::Record r = original;
      normalize(&r, ev.guest_rip);
      if (clock_tickets && r.has_sync_point() &&
          r.sync_point().kind() == nestrr::v1::SyncPoint::KIND_ACQUIRE)
        r.mutable_sync_point()->set_ticket(synthesized.at({stream.cpu, ev.seq}));
      ExpectedRecord e;
      classify(r, &e);
      e.seq = ev.seq;
      e.tsc = ev.tsc;
      begins.push_back(cpu.arena.size());
      if (e.role == ExpectedRecord::Role::kCut) cut = true;
      else r.AppendToString(&cpu.arena);
      cpu.records.push_back(e);
      cpu.next_seq = ev.seq + 1;
    }
    // The arena is final: point each record at its bytes.
    for (size_t i = 0; i < cpu.records.size(); ++i) {
      const size_t end = i + 1 < begins.size() ? begins[i + 1] : cpu.arena.size();
      cpu.records[i].bytes = std::string_view(cpu.arena).substr(begins[i], end - begins[i]);
    }
  }
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
