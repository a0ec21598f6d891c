// ReportData as the JSON the page's script reads (see report/web/js/
// for the reading side: field names must agree).
#include <cmath>
#include <cstdio>

#include "json_writer.h"
#include "nestrr/eventlog/hex.h"
#include "nestrr/report/html_report.h"

namespace nestrr::report {

namespace {

using detail::JsonWriter;

// Addresses as hex strings: JavaScript numbers lose bits past 2^53.
using eventlog::hex;

void write_summary(JsonWriter& w, const Summary& s) {
  w.key("summary").begin_object();
  w.key("description").value(s.description).key("variant").value(s.variant).key("origin").value(s.origin);
  w.key("sink").value(s.sink).key("header_cpu_count").value(s.header_cpu_count).key("tsc_hz").value(s.tsc_hz);
  w.key("events").value(s.events).key("bytes").value(s.bytes);
  w.key("counts").begin_array();
  for (const auto& row : s.counts) {
    w.begin_object().key("kind").value(row.kind).key("total").value(row.total);
    w.key("per_lane").array(row.per_lane).end_object();
  }
  w.end_array();
  w.key("loss").begin_object();
  w.key("records_lost_transport").value(s.records_lost_transport);
  w.key("records_dropped_logger").value(s.records_dropped_logger);
  w.key("frames_damaged").value(s.frames_damaged).key("resyncs").value(s.resyncs);
  w.key("duplicate_records").value(s.duplicate_records).key("conflicting_records").value(s.conflicting_records);
  w.key("console_lines").value(s.console_lines);
  w.key("lost_ranges").value(s.lost_ranges);
  w.key("lost").begin_array();
  for (const auto& l : s.lost) w.value(l);
  w.end_array();
  w.key("silent_cpus").array(s.silent_cpus);
  w.end_object();
  w.key("merge").begin_object();
  w.key("skewed_edges").value(s.skewed_edges).key("cycles_broken").value(s.cycles_broken);
  w.key("unmatched_nmis").value(s.unmatched_nmis).end_object();
  w.key("checks").value(s.checks);
  w.key("invariants").begin_array();
  for (const auto& inv : s.invariants)
    w.begin_object().key("id").value(inv.id).key("description").value(inv.description)
        .key("violations").value(inv.violations).key("outcome").value(inv.outcome)
        .key("unknown").value(inv.unknown).end_object();
  w.end_array();
  w.key("replayed").value(s.replayed).key("replay_outcome").value(s.replay_outcome);
  w.end_object();
}

void write_events(JsonWriter& w, const EventColumns& c) {
  w.key("events").begin_object();
  // Times as integer deltas in thousandths of the unit (ns for us), in
  // order; sequence numbers as deltas from the lane's previous event.
  w.key("dt").begin_array();
  int64_t prev_t = 0;
  for (double t : c.t) {
    const int64_t milli = std::llround(t * 1000.0);
    w.value(milli - prev_t);
    prev_t = milli;
  }
  w.end_array();
  w.key("lane").array(c.lane);
  w.key("kind").begin_array();
  for (uint16_t k : c.kind) w.value(uint32_t{k});
  w.end_array();
  w.key("dseq").begin_array();
  std::vector<uint64_t> last;
  for (size_t i = 0; i < c.seq.size(); i++) {
    if (c.lane[i] >= last.size()) last.resize(c.lane[i] + 1, 0);
    w.value(static_cast<int64_t>(c.seq[i] - last[c.lane[i]]));
    last[c.lane[i]] = c.seq[i];
  }
  w.end_array();
  // Field shapes and their numbers (see EventColumns): decimal numbers up
  // to 15 digits as JSON numbers, hex digits as strings.
  w.key("detail").array(c.detail);
  w.key("details").begin_array();
  for (const auto& d : c.details) w.value(std::string_view(d));
  w.end_array();
  w.key("args").begin_array();
  for (size_t i = 0; i < c.detail.size(); i++) {
    const std::string& shape = c.details[c.detail[i]];
    size_t k = 0;
    for (uint32_t a = c.arg_start[i]; a < c.arg_start[i + 1]; a++) {
      k = shape.find('\x01', k);
      const bool hex = k >= 2 && shape.compare(k - 2, 2, "0x") == 0;
      k++;
      if (hex) w.value(std::string_view(c.args[a]));
      else w.value(static_cast<uint64_t>(std::stoull(c.args[a])));
    }
  }
  w.end_array();
  w.end_object();
}

void write_links(JsonWriter& w, const ReportData& d) {
  w.key("nmis").begin_array();  // flat: from, to, from, to, ...
  for (const Nmi& n : d.nmis) w.value(n.from).value(n.to);
  w.end_array();
  w.key("quiesces").begin_array();  // flat: lane, begin, end, generation, ended (0/1), ...
  for (const QuiesceSpan& q : d.quiesces)
    w.value(q.lane).value(q.begin).value(q.end).value(q.generation).value(q.ended ? 1 : 0);
  w.end_array();
  // Per lane, columns of its state changes.
  w.key("states").begin_array();
  for (const auto& lane : d.states) {
    w.begin_object();
    w.key("at").begin_array();
    for (const auto& s : lane) w.value(s.at);
    w.end_array().key("mode").begin_array();
    for (const auto& s : lane) w.value(s.mode);
    w.end_array().key("vmcs12").begin_array();
    for (const auto& s : lane) {
      if (s.vmcs12) w.value(hex(*s.vmcs12));
      else if (s.vmcs12_known) w.value("none");
      else w.null();
    }
    w.end_array().key("ept02").begin_array();
    for (const auto& s : lane) w.value(s.ept02_valid ? int64_t{-1} : int64_t{s.ept02_stale_since});
    w.end_array().key("stale").begin_array();
    for (const auto& s : lane) w.value(std::string_view(s.stale_fields));
    w.end_array().end_object();
  }
  w.end_array();
  w.key("violations").begin_array();
  for (const auto& v : d.violations) {
    w.begin_object().key("invariant").value(v.invariant).key("message").value(v.message).key("event").value(v.event);
    w.key("causes").begin_array();
    for (const auto& [at, note] : v.causes) w.begin_object().key("event").value(at).key("note").value(note).end_object();
    w.end_array().end_object();
  }
  w.end_array();
}

void write_failure(JsonWriter& w, const Failure& f) {
  w.key("failure").begin_object();
  w.key("kind").value(f.kind).key("title").value(f.title).key("lane").value(f.lane);
  w.key("event");
  if (f.event) w.value(*f.event);
  else w.null();
  w.key("interleaving_source").value(f.interleaving_source);
  w.key("interleaving").begin_array();
  for (const auto& r : f.interleaving) {
    w.begin_object().key("lane").value(r.lane).key("text").value(r.text).key("role").value(r.role);
    if (r.from) w.key("from").value(*r.from);
    if (r.event) w.key("event").value(*r.event);
    w.end_object();
  }
  w.end_array();
  w.key("stack_source").value(f.stack_source).key("stack_note").value(f.stack_note);
  w.key("stack").begin_array();
  for (const auto& s : f.stack)
    w.begin_object().key("function").value(s.function).key("location").value(s.location)
        .key("method").value(s.method).key("address").value(hex(s.address)).key("inlined").value(s.inlined).end_object();
  w.end_array();
  w.key("listing_title").value(f.listing_title).key("listing_note").value(f.listing_note);
  w.key("listing").begin_array();
  for (const auto& l : f.listing) w.value(std::string_view(l));
  w.end_array();
  w.end_object();
}

}  // namespace

void write_report_json(std::ostream& out, const ReportData& d) {
  JsonWriter w(out);
  w.begin_object();
  w.key("format").value(1).key("title").value(d.title).key("time_unit").value(d.time_unit);
  w.key("cpus").array(d.cpus);
  w.key("kinds").begin_array();
  for (const auto& k : d.kinds) w.value(std::string_view(k));
  w.end_array();
  write_summary(w, d.summary);
  write_events(w, d.events);
  write_links(w, d);
  if (d.failure) write_failure(w, *d.failure);
  else w.key("failure").null();
  w.end_object();
}

}  // namespace nestrr::report
