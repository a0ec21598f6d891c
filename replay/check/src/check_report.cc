// The checker's report in words (format_report in check.h): outcomes,
// violations with their causes, findings that loss could explain, and the
// loss that could hide violations.
#include <sstream>

#include "nestrr/check/check.h"
#include "nestrr/eventlog/format.h"

namespace nestrr::check {
namespace {

namespace el = eventlog;

constexpr size_t kLossShown = 20;   // lost ranges listed in full
constexpr size_t kDoubtsShown = 5;  // per unknown finding

std::string where(const EventLookup& at, el::EventRef r) {
  const el::Event& e = at(r);
  return "cpu" + std::to_string(e.cpu) + " #" + std::to_string(e.seq) + " " +
         std::string(el::event_kind(e.record));
}

void finding(std::ostream& out, const EventLookup& at, const el::TimeBase& base, const Violation& v) {
  out << "\n[" << v.invariant << "] at " << where(at, v.at) << "\n  " << v.message << "\n";
  out << "  " << el::format_event(at(v.at), base) << "\n";
  for (size_t i = 0; i < v.causes.size(); i++)
    out << "  because: " << v.cause_notes[i] << "\n    " << el::format_event(at(v.causes[i]), base) << "\n";
}

}  // namespace

std::string format_report(const el::Log& log, const CheckReport& report) {
  return format_report([&log](el::EventRef ref) -> const el::Event& { return log.at(ref); }, el::time_base(log),
                       report);
}

std::string format_report(const EventLookup& at, const el::TimeBase& base, const CheckReport& report) {
  std::ostringstream out;
  out << "checked " << report.events << " events, " << report.checks << " invariant evaluations, "
      << report.ept01_pages_changed << " EPT01 page changes\n";
  out << "invariants:\n";
  const auto& all = invariants();
  for (size_t i = 0; i < all.size(); ++i) {
    out << "  " << all[i].id << ": ";
    if (i < report.outcomes.size()) {
      const InvariantOutcome& o = report.outcomes[i];
      out << outcome_name(o.outcome) << " (" << o.checks << " evaluations";
      if (o.violated) out << ", " << o.violated << " violated";
      if (o.unknown) out << ", " << o.unknown << " found where records were lost";
      out << ")\n    ";
    }
    out << all[i].description << "\n";
  }
  if (!report.silent_cpus.empty()) {
    out << "cpus the header declares that have no records:";
    for (uint32_t c : report.silent_cpus) out << " cpu" << c;
    out << "\n";
  }
  if (report.clean()) {
    out << "no violations\n";
  } else {
    out << report.violations.size() << " violation" << (report.violations.size() == 1 ? "" : "s") << ":\n";
    for (const Violation& v : report.violations) finding(out, at, base, v);
  }
  if (!report.unknown.empty()) {
    out << "\n" << report.unknown.size() << " finding" << (report.unknown.size() == 1 ? "" : "s")
        << " that lost records could explain away (unknown: neither violations nor clean):\n";
    for (const Violation& v : report.unknown) {
      finding(out, at, base, v);
      for (size_t i = 0; i < v.doubts.size() && i < kDoubtsShown; ++i)
        out << "  unless a record was lost in: " << report.lost[v.doubts[i]].what << "\n";
      if (v.doubts.size() > kDoubtsShown)
        out << "  (and " << v.doubts.size() - kDoubtsShown << " more lost ranges)\n";
      if (v.doubt_unlocated) out << "  unless a record was lost where the log cannot say: " << report.unlocated_loss << "\n";
    }
  }
  if (!report.lost.empty() || !report.unlocated_loss.empty()) {
    out << "\nloss that could hide a violation (so no invariant can be said to hold):\n";
    for (size_t i = 0; i < report.lost.size() && i < kLossShown; ++i) out << "  " << report.lost[i].what << "\n";
    if (report.lost.size() > kLossShown) out << "  (and " << report.lost.size() - kLossShown << " more)\n";
    if (!report.unlocated_loss.empty()) out << "  " << report.unlocated_loss << "\n";
  }
  out << "outcome: " << outcome_name(report.outcome()) << "\n";
  return out.str();
}

}  // namespace nestrr::check
