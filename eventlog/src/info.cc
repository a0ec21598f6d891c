// The `info` summary of a log: what it is, what it holds, what it lost.
#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/eventlog/summary.h"
#include "text_util.h"

namespace nestrr::eventlog {

std::string format_info(const Log& log, const Timeline* timeline, const CodeNamer& namer) {
  return format_info(log, tally_records(log), timeline ? &timeline->stats : nullptr, namer);
}

std::string format_info(const LogSummary& summary, const CodeNamer& namer) {
  return format_info(summary.log, summary.tally, &summary.causal, namer);
}

std::string format_info(const Log& log, const RecordTally& tally, const MergeStats* causal,
                        const CodeNamer& namer) {
  std::string out;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  if (log.header) {
    const auto& h = *log.header;
    line("format version: " + std::to_string(h.format_version()) +
         (h.format_version() > kFormatVersion ? " (newer than this reader)" : ""));
    line("cpus: " + std::to_string(h.cpu_count()));
    line("tsc rate: " + (h.tsc_hz() ? std::to_string(h.tsc_hz()) + " Hz" : std::string("unknown")));
    line("sink: " + nestrr::v1::Header::Sink_Name(h.sink()));
    if (!h.description().empty()) line("description: " + detail::sanitize_utf8(h.description()));
    for (const auto& m : h.module()) {
      std::string id;
      static const char* digits = "0123456789abcdef";
      for (unsigned char c : m.build_id()) {
        id += digits[c >> 4];
        id += digits[c & 15];
      }
      line("module: " + detail::sanitize_utf8(m.name()) + " build-id " +
           (id.empty() ? "unknown" : id) + " load bias " + detail::hex(m.load_bias()));
    }
  } else {
    line("header: missing");
  }
  const Stats& s = log.stats;
  line("bytes: " + std::to_string(s.bytes) + " (frames " + std::to_string(s.frame_bytes) +
       ", text " + std::to_string(s.text_bytes) + " in " + std::to_string(s.text_lines) +
       " lines, damaged " + std::to_string(s.damaged_bytes) + ")");
  line("frames: " + std::to_string(s.frames_ok) + " ok" +
       (s.frames_repaired ? " (" + std::to_string(s.frames_repaired) + " with a repaired mark)" : "") +
       ", " + std::to_string(s.frames_damaged_total()) + " damaged");
  for (int k = 0; k < kDamageKinds; ++k) {
    if (s.frames_damaged[k]) {
      line("  " + std::string(damage_kind_name(static_cast<DamageKind>(k))) + ": " +
           std::to_string(s.frames_damaged[k]));
    }
  }
  line("records: " + std::to_string(s.records) + " (duplicates dropped " +
       std::to_string(s.duplicate_records) + ", conflicts " + std::to_string(s.conflicting_records) + ")");
  uint64_t open = 0;
  for (const auto& g : log.gaps) open += g.open ? 1 : 0;
  line("lost in transport: " + std::to_string(s.records_lost_transport) + " in " +
       std::to_string(log.gaps.size()) + " gaps" +
       (open ? " (at least: " + std::to_string(open) + " stream" + (open == 1 ? "" : "s") +
                   " cut after damage, without a trailer)"
             : std::string()));
  constexpr size_t kGapsShown = 20;
  for (size_t i = 0; i < log.gaps.size() && i < kGapsShown; ++i) line("  gap: " + describe(log.gaps[i]));
  if (log.gaps.size() > kGapsShown) line("  (" + std::to_string(log.gaps.size() - kGapsShown) + " more gaps)");
  line("dropped by logger: " + std::to_string(s.records_dropped_logger));
  if (s.capture_reconnects)
    line("capture reconnects: " + std::to_string(s.capture_reconnects) +
         " (the relay closed the connection; what it lost shows as gaps)");
  for (const auto& f : log.key_frames) {
    std::string seqs;
    for (size_t i = 0; i < f.next_seq.size(); ++i)
      seqs += (i ? " cpu" : "cpu") + std::to_string(i) + ":#" + std::to_string(f.next_seq[i]);
    line("key frame " + std::to_string(f.id) + ": " + std::to_string(f.pieces_seen) + "/" +
         std::to_string(f.pieces) + " pieces" +
         (f.complete() ? ", resumes at " + seqs : ", unusable: " + f.problem));
  }
  for (const auto& st : log.streams) {
    line("cpu" + std::to_string(st.cpu) + ": " + std::to_string(st.record_count()) + " records, lost " +
         std::to_string(st.records_lost_transport) + ", dropped " +
         std::to_string(st.records_dropped_logger) + (st.trailer ? "" : ", no trailer"));
  }
  for (uint32_t cpu : silent_cpus(log)) {
    if (log.find_cpu(cpu)) continue;  // listed above, with its trailer
    line("cpu" + std::to_string(cpu) + ": no records (the header declares it)");
  }
  for (const auto& [kind, n] : tally.kinds) line("  " + kind + ": " + std::to_string(n));
  if (namer) {
    for (const auto& e : tally.assertions) {
      const auto& a = e.record.assertion_failure();
      uint64_t rip = a.has_registers() && a.registers().rip() ? a.registers().rip() : a.rip();
      std::string name = namer(rip, true);
      line("assertion failed on cpu" + std::to_string(e.cpu) + " #" + std::to_string(e.seq) + ": " +
           detail::sanitize_utf8(a.condition()) + " at rip=" + detail::hex(rip) +
           (name.empty() ? std::string() : " <" + name + ">"));
    }
  }
  if (causal) {
    const auto& m = *causal;
    line("causal edges: " + std::to_string(m.edges) + " (nmi " + std::to_string(m.nmi_edges) +
         ", quiesce " + std::to_string(m.quiesce_edges) + "); unmatched nmi sends " +
         std::to_string(m.unmatched_nmi_sends) + ", receives " +
         std::to_string(m.unmatched_nmi_receives) + ", quiesce acks " +
         std::to_string(m.unmatched_quiesce_acks));
    line("edges against TSC: " + std::to_string(m.skewed_edges) + ", max skew " +
         std::to_string(m.max_skew_ticks) + " ticks; causal cycles broken: " +
         std::to_string(m.cycles_broken));
  }
  for (const auto& w : s.warnings) line("warning at byte " + std::to_string(w.stream_offset) + ": " + w.message);
  if (s.warnings_suppressed) line("(" + std::to_string(s.warnings_suppressed) + " more warnings)");
  return out;
}

}  // namespace nestrr::eventlog
