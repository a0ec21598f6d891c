// The invariants and the walk over the timeline (see check.h).
#include "nestrr/check/check.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "nestrr/core/vmcs_fields.h"
#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/hex.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/check/state.h"
#include "event_access.h"
#include "lost_index.h"

namespace nestrr::check {
namespace {

namespace el = eventlog;
using nestrr::v1::Record;

constexpr const char* kGpaFields = "vmcs02-gpa-fields-match-ept01";
constexpr const char* kModeChain = "vmx-mode-changes-chain";
constexpr const char* kEntryVmcs12 = "l2-entry-has-current-vmcs12";
constexpr const char* kL2ExitMode = "l2-exit-in-non-root-mode";

using eventlog::hex;

std::string field_name(uint32_t encoding) {
  int i = vmcs_field_index(encoding, nullptr);
  std::string name = i >= 0 ? vmcs_fields[i].name : "unknown field";
  return name + " (" + hex(encoding) + ")";
}

class Checker {
 public:
  Checker(detail::EventAccess& events, CheckReport& report, const detail::LostIndex& lost)
      : events_(events), report_(report), lost_(lost) {}

  const MachineState& state() const { return state_; }
  uint64_t checks_of(const std::string& id) const {
    auto it = checks_.find(id);
    return it == checks_.end() ? 0 : it->second;
  }

  void step(el::EventRef ref) {
    const el::Event& e = events_.at(ref);
    const Record& r = e.record;
    CpuState& cpu = state_.cpus[e.cpu];
    report_.events++;
    now_ = ref;
    switch (r.event_case()) {
      case Record::kEpt01Change:
      case Record::kVmcs02Translation:
      case Record::kEptFlush:
      case Record::kVmxModeChange:
      case Record::kVmcs12Load:
      case Record::kVmcs12Clear:
        events_.keep(ref);  // the state names it from now on
        break;
      default: break;
    }
    switch (r.event_case()) {
      case Record::kEpt01Change: ept01_change(ref, r.ept01_change()); break;
      case Record::kVmcs02Translation: translation(ref, cpu, r.vmcs02_translation()); break;
      case Record::kEptFlush:
        cpu.flushes.push_back(ref);
        break;
      case Record::kVmxModeChange: mode_change(ref, cpu, r.vmx_mode_change()); break;
      case Record::kVmcs12Load:
        cpu.current_vmcs12 = r.vmcs12_load().vmcs12_gpa();
        cpu.vmcs12_known = true;
        cpu.vmcs12_changed_by = ref;
        break;
      case Record::kVmcs12Clear:
        if (cpu.current_vmcs12 == r.vmcs12_clear().vmcs12_gpa()) {
          cpu.current_vmcs12.reset();
          cpu.vmcs12_changed_by = ref;
        } else if (!cpu.vmcs12_known) {
          cpu.vmcs12_changed_by = ref;
        }
        cpu.vmcs12_known = true;
        break;
      case Record::kVmEntry:
        if (r.vm_entry().to_l2()) {
          entry_needs_vmcs12(ref, cpu);
          gpa_fields(ref, e.cpu, cpu);
        }
        break;
      case Record::kVmExit:
        if (r.vm_exit().from_l2()) exit_mode(ref, cpu);
        break;
      default: break;
    }
  }

 private:
  void count(const char* id) {
    report_.checks++;
    checks_[id]++;
  }

  // A finding stands as a violation only if no lost record could explain it
  // away: `doubts` are the lost ranges where one could be.
  void add(Violation v, std::vector<size_t> doubts, bool unlocated = false) {
    events_.keep(v.at);
    if (doubts.empty() && !unlocated) {
      report_.violations.push_back(std::move(v));
      return;
    }
    v.doubts = std::move(doubts);
    v.doubt_unlocated = unlocated;
    report_.unknown.push_back(std::move(v));
  }

  // Lost records of the finding's own CPU between `since` (the event that
  // set the state it relies on) and now.
  std::vector<size_t> lost_on_cpu_since(el::EventRef since) const {
    const el::Event& from = events_.at(since);
    const el::Event& at = events_.at(now_);
    return lost_.on_cpu_between(at.cpu, from.seq, at.seq);
  }

  void ept01_change(el::EventRef ref, const nestrr::v1::Ept01Change& c) {
    const uint64_t size = c.size() ? c.size() : kPage;
    for (uint64_t off = 0; off < size; off += kPage) {
      Ept01Page& p = state_.ept01[(c.gpa() + off) & ~(kPage - 1)];
      p.hpa = c.permissions() ? (c.hpa() + off) & ~(kPage - 1) : 0;
      p.permissions = c.permissions();
      p.changed_by = ref;
      report_.ept01_pages_changed++;
    }
  }

  void translation(el::EventRef ref, CpuState& cpu, const nestrr::v1::Vmcs02Translation& t) {
    cpu.fields.clear();
    for (const auto& f : t.field()) cpu.fields[f.encoding()] = GpaField{f.gpa(), f.hpa(), ref};
    cpu.fields_known = true;
    cpu.flushes.clear();
  }

  void mode_change(el::EventRef ref, CpuState& cpu, const nestrr::v1::VmxModeChange& m) {
    count(kModeChain);
    if (cpu.mode && *cpu.mode != m.old_mode()) {
      Violation v;
      v.invariant = kModeChain;
      v.at = ref;
      v.message = "mode change says it leaves " + nestrr::v1::VmxMode_Name(m.old_mode()) +
                  " but the CPU was in " + nestrr::v1::VmxMode_Name(*cpu.mode);
      v.causes = {cpu.mode_changed_by};
      v.cause_notes = {"the previous mode change of this CPU"};
      // A mode change lost in between would make the chain whole.
      add(std::move(v), lost_on_cpu_since(cpu.mode_changed_by));
    }
    cpu.mode = m.new_mode();
    cpu.mode_changed_by = ref;
  }

  void entry_needs_vmcs12(el::EventRef ref, const CpuState& cpu) {
    if (!cpu.vmcs12_known) return;
    count(kEntryVmcs12);
    if (cpu.current_vmcs12) return;
    Violation v;
    v.invariant = kEntryVmcs12;
    v.at = ref;
    v.message = "VM entry to L2 with no current VMCS12";
    v.causes = {cpu.vmcs12_changed_by};
    v.cause_notes = {"the last VMCS12 load or clear of this CPU"};
    // A VMPTRLD lost in between would have made a VMCS12 current.
    add(std::move(v), lost_on_cpu_since(cpu.vmcs12_changed_by));
  }

  void exit_mode(el::EventRef ref, const CpuState& cpu) {
    if (!cpu.mode) return;
    count(kL2ExitMode);
    // The exit is logged after the mode went back to root; what matters is
    // that the CPU was running L2 (non-root) just before it.
    if (*cpu.mode == nestrr::v1::VMX_MODE_NON_ROOT || *cpu.mode == nestrr::v1::VMX_MODE_ROOT) return;
    Violation v;
    v.invariant = kL2ExitMode;
    v.at = ref;
    v.message = "VM exit from L2 while the CPU is in " + nestrr::v1::VmxMode_Name(*cpu.mode);
    v.causes = {cpu.mode_changed_by};
    v.cause_notes = {"the last mode change of this CPU"};
    add(std::move(v), lost_on_cpu_since(cpu.mode_changed_by));
  }

  // L2 runs with VMCS02 as it is at each VM entry to L2 (by L1's
  // VMLAUNCH/VMRESUME, or by L0 resuming L2 after handling an exit itself):
  // then every address field of VMCS02 must equal its translation through
  // EPT01 as it is now.
  void gpa_fields(el::EventRef ref, uint32_t cpu_id, const CpuState& cpu) {
    if (!cpu.fields_known) return;
    for (const auto& [encoding, f] : cpu.fields) {
      count(kGpaFields);
      const Ept01Page* page = nullptr;
      std::optional<uint64_t> want = state_.translate(f.gpa, &page);
      if (!want || *want == f.hpa) continue;
      auto key = std::make_tuple(cpu_id, encoding, page->changed_by.stream, page->changed_by.index);
      if (!reported_.insert(key).second) continue;
      Violation v;
      v.invariant = kGpaFields;
      v.at = ref;
      v.message = "VMCS02 field " + field_name(encoding) + " = " + hex(f.hpa) + ", but EPT01 now maps gpa " +
                  hex(f.gpa) + " to " + (page->permissions ? hex(*want) : std::string("nothing (unmapped)")) +
                  ": the field is stale";
      v.causes.push_back(f.translated_at);
      v.cause_notes.push_back("last translation of the field on this CPU (" + hex(f.gpa) + " -> " + hex(f.hpa) + ")");
      v.causes.push_back(page->changed_by);
      v.cause_notes.push_back("EPT01 change of gpa page " + hex(f.gpa & ~(kPage - 1)) + " that made it stale");
      for (el::EventRef fl : cpu.flushes) {
        const auto& flush = events_.at(fl).record.ept_flush();
        const bool rewalked = flush.flags() & nestrr::v1::EptFlush::FLAG_VMCS02_GPA;
        v.causes.push_back(fl);
        v.cause_notes.push_back(std::string("flush since then, origin ") +
                                nestrr::v1::EptFlush::Origin_Name(flush.origin()) +
                                (rewalked ? ", claims a VMCS02 re-walk" : ", did not re-walk VMCS02's address fields"));
      }
      // Explained away by a lost re-translation on this CPU, or by a lost
      // EPT01 change (any CPU) that mapped the page back before the entry.
      std::vector<size_t> doubts = lost_on_cpu_since(f.translated_at);
      for (size_t i : lost_.in_timeline_between(events_.position(page->changed_by), events_.position(ref)))
        if (std::find(doubts.begin(), doubts.end(), i) == doubts.end()) doubts.push_back(i);
      add(std::move(v), std::move(doubts), !report_.unlocated_loss.empty());
    }
  }

  detail::EventAccess& events_;
  CheckReport& report_;
  const detail::LostIndex& lost_;
  MachineState state_;
  el::EventRef now_{};
  std::map<std::string, uint64_t> checks_;  // evaluations per invariant
  std::set<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>> reported_;
};

// Every event the state and the findings name.
template <typename Fn>
void each_named(const MachineState& state, const CheckReport& report, const Fn& fn) {
  for (const auto& [gpa, page] : state.ept01) fn(page.changed_by);
  for (const auto& [id, cpu] : state.cpus) {
    for (const auto& [enc, f] : cpu.fields) fn(f.translated_at);
    for (el::EventRef r : cpu.flushes) fn(r);
    fn(cpu.mode_changed_by);
    fn(cpu.vmcs12_changed_by);
  }
  for (const auto* list : {&report.violations, &report.unknown})
    for (const Violation& v : *list) {
      fn(v.at);
      for (el::EventRef r : v.causes) fn(r);
    }
}

void finish_outcomes(CheckReport& report, const Checker& checker) {
  const bool any_loss = !report.lost.empty() || !report.unlocated_loss.empty();
  for (const Invariant& inv : invariants()) {
    InvariantOutcome o;
    o.invariant = inv.id;
    for (const auto& v : report.violations) o.violated += v.invariant == inv.id ? 1 : 0;
    for (const auto& v : report.unknown) o.unknown += v.invariant == inv.id ? 1 : 0;
    o.checks = checker.checks_of(inv.id);
    o.outcome = o.violated ? Outcome::kViolated
                : (o.unknown || any_loss) ? Outcome::kUnknown
                                          : Outcome::kHolds;
    report.outcomes.push_back(std::move(o));
  }
}

}  // namespace

const std::vector<Invariant>& invariants() {
  static const std::vector<Invariant> all = {
      {kGpaFields,
       "at every VM entry to L2 (by L1, or by L0 resuming L2 after an exit it handled), every "
       "guest-physical-address field of VMCS02 equals its translation through the current EPT01"},
      {kModeChain, "each VMX mode change starts from the mode the previous one ended in"},
      {kEntryVmcs12, "a VM entry to L2 happens only with a current VMCS12"},
      {kL2ExitMode, "a VM exit from L2 happens only in VMX operation"},
  };
  return all;
}

CheckReport check_log(const el::Log& log, const el::Timeline& timeline) {
  return check_log(log, timeline, nullptr);
}

CheckReport check_log(const el::Log& log, const el::Timeline& timeline, const StepObserver& after_step) {
  CheckReport report;
  report.lost = detail::lost_ranges(log);
  report.unlocated_loss = detail::unlocated_loss(log);
  report.silent_cpus = el::silent_cpus(log);
  const detail::TimelinePositions position(log, timeline);
  const detail::LostIndex lost(report.lost, detail::place_lost(log, position, report.lost));
  detail::WholeLogAccess events(log, position);
  Checker checker(events, report, lost);
  for (el::EventRef ref : timeline.order) {
    checker.step(ref);
    if (after_step) after_step(ref, checker.state());
  }
  finish_outcomes(report, checker);
  return report;
}

StreamedCheck check_stream(const el::LogSummary& summary, const OpenRecords& open,
                           std::atomic<uint64_t>* checked, size_t collect_at) {
  StreamedCheck out;
  CheckReport& report = out.report;
  std::vector<const el::Event*> records_lost;
  for (const el::Event& e : summary.records_lost) records_lost.push_back(&e);
  report.lost = detail::lost_ranges(summary.log.gaps, records_lost);
  report.unlocated_loss = detail::unlocated_loss(summary.log);
  report.silent_cpus = el::silent_cpus(summary.log);
  // Where each lost range lies in the timeline takes a pass of its own
  // (a range is placed by records that come after the findings it
  // concerns); a log without loss needs none.
  std::vector<detail::Placed> placed(report.lost.size());
  if (!report.lost.empty()) {
    detail::LostPlacer placer(report.lost);
    auto records = open();
    uint64_t position = 0;
    while (const el::Event* e = records->next()) placer.see(e->cpu, e->seq, position++);
    placed = placer.finish();
  }
  const detail::LostIndex lost(report.lost, std::move(placed));
  // EventRefs as the whole read gives them: the CPU's stream, the record's
  // place in it.
  std::map<uint32_t, uint32_t> stream_of;
  for (size_t s = 0; s < summary.log.streams.size(); ++s) stream_of[summary.log.streams[s].cpu] = uint32_t(s);
  std::vector<uint32_t> next_index(summary.log.streams.size(), 0);
  detail::StreamAccess events(collect_at);
  Checker checker(events, report, lost);
  auto records = open();
  uint64_t position = 0;
  while (const el::Event* e = records->next()) {
    const uint32_t stream = stream_of.at(e->cpu);
    const el::EventRef ref{stream, next_index[stream]++};
    events.step(ref, e, position++);
    checker.step(ref);
    events.collect([&](const auto& fn) { each_named(checker.state(), report, fn); });
    if (checked) checked->store(position, std::memory_order_relaxed);
  }
  events.step(el::EventRef{UINT32_MAX, UINT32_MAX}, nullptr, 0);
  finish_outcomes(report, checker);
  out.events = events.take();
  return out;
}

const el::Event& StreamedCheck::at(el::EventRef ref) const { return events.at({ref.stream, ref.index}); }

Outcome CheckReport::outcome() const {
  Outcome out = Outcome::kHolds;
  for (const auto& o : outcomes) {
    if (o.outcome == Outcome::kViolated) return Outcome::kViolated;
    if (o.outcome == Outcome::kUnknown) out = Outcome::kUnknown;
  }
  return out;
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kHolds: return "holds";
    case Outcome::kViolated: return "violated";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
}

}  // namespace nestrr::check
