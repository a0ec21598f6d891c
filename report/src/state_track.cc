// Each CPU's state over time from the checker's state rebuild (VMX mode,
// current VMCS12, VMCS02 address fields against EPT01), plus EPT02
// validity (stale from an EPT01 change until the CPU's next EPT02 flush),
// kept only where it changes; and the invariants with their violations.
#include <map>
#include <sstream>

#include "gather_parts.h"
#include "nestrr/eventlog/hex.h"
#include "nestrr/check/check.h"
#include "nestrr/core/vmcs_fields.h"

namespace nestrr::report::detail {

namespace el = eventlog;

namespace {

using eventlog::hex;

// VMCS02 address fields of one CPU that differ from their EPT01 translation.
std::string stale_fields(const check::MachineState& m, const check::CpuState& cpu) {
  std::string out;
  for (const auto& [encoding, f] : cpu.fields) {
    std::optional<uint64_t> want = m.translate(f.gpa, nullptr);
    if (!want || *want == f.hpa) continue;
    int i = vmcs_field_index(encoding, nullptr);
    if (!out.empty()) out += ", ";
    out += (i >= 0 ? std::string(vmcs_fields[i].name) : hex(encoding)) + " = " + hex(f.hpa) + " (EPT01: " + hex(*want) + ")";
  }
  return out;
}

bool same(const StateChange& a, const StateChange& b) {
  return a.mode == b.mode && a.vmcs12 == b.vmcs12 && a.vmcs12_known == b.vmcs12_known &&
         a.ept02_valid == b.ept02_valid && a.ept02_stale_since == b.ept02_stale_since &&
         a.stale_fields == b.stale_fields;
}

}  // namespace

void build_states(const el::Log& log, const el::Timeline& timeline, const EventIndex& index, ReportData& data) {
  const size_t lanes = data.cpus.size();
  std::map<uint32_t, uint32_t> lane_of;
  for (uint32_t l = 0; l < lanes; l++) lane_of[data.cpus[l]] = l;
  data.states.assign(lanes, {});
  std::vector<StateChange> now(lanes);

  auto refresh = [&](uint32_t lane, uint32_t at, const check::MachineState& m) {
    StateChange s = now[lane];
    s.at = at;
    auto it = m.cpus.find(data.cpus[lane]);
    if (it != m.cpus.end()) {
      const check::CpuState& c = it->second;
      s.mode = c.mode ? static_cast<int>(*c.mode) : -1;
      s.vmcs12 = c.current_vmcs12;
      s.vmcs12_known = c.vmcs12_known;
      s.stale_fields = stale_fields(m, c);
    }
    now[lane] = s;
    auto& list = data.states[lane];
    if (list.empty() || !same(list.back(), s)) list.push_back(s);
  };

  check::CheckReport report = check::check_log(log, timeline, [&](el::EventRef ref, const check::MachineState& m) {
    const el::Event& e = log.at(ref);
    auto lane = lane_of.find(e.cpu);
    if (lane == lane_of.end()) return;
    const uint32_t at = index.of(ref);
    if (e.record.has_ept01_change()) {
      // Every CPU's EPT02 was built from the old EPT01.
      for (uint32_t l = 0; l < lanes; l++) {
        now[l].ept02_valid = false;
        now[l].ept02_stale_since = at;
        refresh(l, at, m);
      }
      return;
    }
    if (e.record.has_ept_flush() && (e.record.ept_flush().flags() & nestrr::v1::EptFlush::FLAG_EPT02)) {
      now[lane->second].ept02_valid = true;
      now[lane->second].ept02_stale_since = 0;
    }
    refresh(lane->second, at, m);
  });

  data.summary.checks = report.checks;
  std::map<std::string, uint64_t> per_invariant;
  for (const auto& v : report.violations) {
    per_invariant[v.invariant]++;
    Violation out{v.invariant, v.message, index.of(v.at), {}};
    for (size_t i = 0; i < v.causes.size(); i++)
      out.causes.push_back({index.of(v.causes[i]), i < v.cause_notes.size() ? v.cause_notes[i] : ""});
    data.violations.push_back(std::move(out));
  }
  const auto& all = check::invariants();
  for (size_t i = 0; i < all.size(); ++i) {
    InvariantRow row{all[i].id, all[i].description, per_invariant[all[i].id], "", 0};
    if (i < report.outcomes.size()) {
      row.outcome = check::outcome_name(report.outcomes[i].outcome);
      row.unknown = report.outcomes[i].unknown;
    }
    data.summary.invariants.push_back(std::move(row));
  }
  constexpr size_t kLostShown = 50;
  data.summary.silent_cpus = report.silent_cpus;
  data.summary.lost_ranges = report.lost.size();
  for (size_t i = 0; i < report.lost.size() && i < kLostShown; ++i)
    data.summary.lost.push_back(report.lost[i].what);
  if (!report.unlocated_loss.empty()) data.summary.lost.push_back(report.unlocated_loss);
}

}  // namespace nestrr::report::detail
