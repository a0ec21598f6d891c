// Expectations of a replay, read from a log.
#include "expected_log.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

#include "event_check.h"

namespace nestrr::replay {

void RecordTable::push(const nestrr::v1::Record& normalized) {
  normalized.AppendToString(&arena_);
  ends_.push_back(arena_.size());
}

nestrr::v1::Record RecordTable::record(size_t i) const {
  nestrr::v1::Record r;
  std::string_view b = bytes(i);
  r.ParseFromArray(b.data(), static_cast<int>(b.size()));
  return r;
}

ExpectedLog expected_from(const eventlog::Log& log) {
  if (!log.header) throw std::invalid_argument("the log has no header");
  if (!log.header->has_scenario())
    throw std::invalid_argument("the log's header has no scenario: it does not come from a run of the core");
  if (log.header->format_version() < kReplayFormatVersion)
    throw std::invalid_argument(
        "the log is in format version " + std::to_string(log.header->format_version()) +
        ", whose NMI positions do not name one delivery point and whose CPU ends are not "
        "marked; replay needs version " + std::to_string(kReplayFormatVersion) +
        " or later: record the run again with this nestrr");
  ExpectedLog out;
  out.scenario = from_proto(log.header->scenario());
  if (log.header->cpu_count() != out.scenario.cpu_count())
    throw std::invalid_argument("header says " + std::to_string(log.header->cpu_count()) +
                                " CPUs, scenario " + std::to_string(out.scenario.cpu_count()));
  if (!log.damage.empty() || !log.gaps.empty()) {
    std::string what;
    if (!log.damage.empty())
      what = std::to_string(log.damage.size()) + " damaged frame(s), the first " +
             eventlog::describe(log.damage.front());
    if (!log.gaps.empty()) {
      const auto& g = log.gaps.front();
      what += (what.empty() ? "" : "; ") + std::to_string(log.gaps.size()) +
              " gap(s) in the records, the first on cpu" + std::to_string(g.cpu) + ", seq " +
              std::to_string(g.from) + " to " + std::to_string(g.to) +
              (g.tail ? " (the end of its stream, by its trailer)" : "");
    }
    throw std::invalid_argument("the log has damage or loss (" + what +
                                "); replay needs every record");
  }
  for (uint32_t cpu = 0; cpu < out.scenario.cpu_count(); ++cpu) {
    const eventlog::CpuStream* s = log.find_cpu(cpu);
    if (!s || !s->trailer)
      throw std::invalid_argument(
          "cpu" + std::to_string(cpu) + "'s stream has no trailer: the capture ended before the "
          "recording did (QEMU killed, the capture stopped), so where that CPU stopped is unknown; "
          "replay needs the whole log (nestrr testbox --time-limit ends a run with its trailers)");
  }
  out.cpus.resize(out.scenario.cpu_count());
  struct Acquire {
    uint64_t tsc;
    uint32_t cpu;
    uint64_t seq;
    uint32_t lock;
    LockTurn turn;
  };
  std::vector<Acquire> acquires;
  for (const auto& stream : log.streams) {
    if (stream.cpu >= out.cpus.size())
      throw std::invalid_argument("records of cpu " + std::to_string(stream.cpu) +
                                  " beyond the scenario's CPUs");
    if (stream.records_dropped_logger) {
      const bool flight = log.header->sink() == nestrr::v1::Header::SINK_FLIGHT_RECORDER;
      if (flight)
        throw std::invalid_argument(
            "flight-recorder log: cpu " + std::to_string(stream.cpu) + "'s ring wrapped, its first " +
            std::to_string(stream.records_dropped_logger) +
            " records were overwritten; replay re-executes from the start of the run and needs "
            "them (a flight log replays only while its rings have not wrapped)");
      throw std::invalid_argument("cpu " + std::to_string(stream.cpu) + " lost " +
                                  std::to_string(stream.records_dropped_logger) +
                                  " records in the logger; replay needs every record");
    }
    ExpectedCpu& cpu = out.cpus[stream.cpu];
    for (const auto& ev : stream.events) {
      nestrr::v1::Record r = ev.record;
      // Memory snapshots are state dumped for the debugger (the testbox
      // logs the failing VCPU after its assertion), not steps of the run.
      if (r.has_records_lost() || r.has_console_text() || r.has_memory_snapshot()) continue;
      if (cpu.cut)
        throw std::invalid_argument("cpu " + std::to_string(stream.cpu) + " has records after its cut (seq " +
                                    std::to_string(cpu.cut->seq) + "): a cut is a CPU's last record");
      normalize(&r, ev.guest_rip);
      uint64_t index = cpu.records.size();
      if (r.has_sync_point() && r.sync_point().kind() == nestrr::v1::SyncPoint::KIND_CUT) {
        cpu.cut = ExpectedCut{r.sync_point().progress(), r.sync_point().object(), index, ev.seq};
        continue;
      }
      if (r.has_nmi_received()) {
        const auto& n = r.nmi_received();
        cpu.nmis.push_back({n.progress(), n.has_source_cpu() ? n.source_cpu() : 0xffffffffu, index});
      }
      if (r.has_sync_point() && r.sync_point().kind() == nestrr::v1::SyncPoint::KIND_ACQUIRE)
        acquires.push_back({ev.tsc, stream.cpu, ev.seq, r.sync_point().object(),
                            {stream.cpu, r.sync_point().progress(), index}});
      cpu.records.push(r);
      cpu.seqs.push_back(ev.seq);
      cpu.tscs.push_back(ev.tsc);
    }
  }
  std::sort(acquires.begin(), acquires.end(), [](const Acquire& a, const Acquire& b) {
    return std::tie(a.tsc, a.cpu, a.seq) < std::tie(b.tsc, b.cpu, b.seq);
  });
  for (const auto& a : acquires) out.lock_order[a.lock].push_back(a.turn);
  return out;
}

}  // namespace nestrr::replay
