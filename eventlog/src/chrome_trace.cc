// Chrome trace-event JSON writer. Strings are escaped by hand (no JSON
// library); the protobuf JSON printer supplies each record's fields.
#include "nestrr/eventlog/chrome_trace.h"

#include <cstdio>
#include <map>
#include <set>

#include <google/protobuf/util/json_util.h>

#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/json_text.h"
#include "nestrr/eventlog/merged_stream.h"
#include "nestrr/eventlog/summary.h"
#include "text_util.h"

namespace nestrr::eventlog {
namespace {

constexpr int kPid = 1;

std::string json_string(std::string_view s) {
  std::string out = "\"";
  append_json_escaped(out, s);
  out += '"';
  return out;
}

std::string ts_text(double us) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3f", us);
  return buf;
}

class TraceWriter {
 public:
  explicit TraceWriter(std::ostream& out) : out_(out) { out_ << "{\"traceEvents\":[\n"; }
  void event(const std::string& body) {
    out_ << (first_ ? "" : ",\n") << "{" << body << "}";
    first_ = false;
  }
  void close(const std::string& other) { out_ << "\n],\"displayTimeUnit\":\"ns\",\"otherData\":" << other << "}\n"; }

 private:
  std::ostream& out_;
  bool first_ = true;
};

std::string record_json(const nestrr::v1::Record& record) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(record, &json, options).ok()) return "null";
  return json;
}

using Point = std::pair<uint32_t, uint64_t>;  // cpu, seq

// One log's trace: the tracks first, then each record in merged order, then
// the console lines and what the read found.
class ChromeTrace {
 public:
  // `nmi_edges`: each NMI edge's ends, in the order the merge found them.
  ChromeTrace(std::ostream& out, const Log& log, bool has_console, const TimeBase& base,
              const std::vector<std::pair<Point, Point>>& nmi_edges)
      : w_(out), base_(base) {
    std::string process = "nestrr";
    if (log.header && !log.header->description().empty()) process += ": " + log.header->description();
    w_.event("\"ph\":\"M\"," + pid_ + ",\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":" +
             json_string(process) + "}");
    for (const auto& s : log.streams) {
      w_.event("\"ph\":\"M\"," + pid_ + ",\"tid\":" + std::to_string(s.cpu) +
               ",\"name\":\"thread_name\",\"args\":{\"name\":\"cpu" + std::to_string(s.cpu) + "\"}");
      console_tid_ = std::max<uint64_t>(console_tid_, uint64_t{s.cpu} + 1);
    }
    if (has_console) {
      w_.event("\"ph\":\"M\"," + pid_ + ",\"tid\":" + std::to_string(console_tid_) +
               ",\"name\":\"thread_name\",\"args\":{\"name\":\"console\"}");
    }
    // Flow ids: one per NMI edge, keyed by its ends.
    uint64_t next_flow = 1;
    for (const auto& [from, to] : nmi_edges) {
      flow_out_[from] = next_flow;
      flow_in_[to] = next_flow;
      ++next_flow;
    }
  }

  void event(const Event& e) {
    const double ts = relative_us(e.tsc, base_);
    last_ts_ = std::max(last_ts_, ts);
    const std::string where = pid_ + ",\"tid\":" + std::to_string(e.cpu) + ",\"ts\":" + ts_text(ts);
    const std::string name = std::string(event_kind(e.record));
    const std::string args = "\"args\":{\"seq\":" + std::to_string(e.seq) +
                             (e.record.has_vm_exit() ? ",\"guest_rip\":" + json_string(detail::hex(e.guest_rip)) : "") +
                             ",\"record\":" + record_json(e.record) + "}";
    if (e.record.has_quiesce_begin()) {
      const uint64_t gen = e.record.quiesce_begin().generation();
      if (open_quiesce_.insert({e.cpu, gen}).second) {
        w_.event("\"ph\":\"B\",\"cat\":\"quiesce\",\"name\":\"quiesce " + std::to_string(gen) + "\"," +
                 where + "," + args);
        return;
      }
    } else if (e.record.has_quiesce_end()) {
      const uint64_t gen = e.record.quiesce_end().generation();
      if (open_quiesce_.erase({e.cpu, gen})) {
        w_.event("\"ph\":\"E\",\"cat\":\"quiesce\",\"name\":\"quiesce " + std::to_string(gen) + "\"," +
                 where + "," + args);
        return;
      }
    }
    const Point key{e.cpu, e.seq};
    const auto out = flow_out_.find(key);
    const auto in = flow_in_.find(key);
    if (out != flow_out_.end() || in != flow_in_.end()) {
      // Flows bind to slices, so NMI endpoints are zero-length slices.
      w_.event("\"ph\":\"X\",\"dur\":0,\"cat\":\"nmi\",\"name\":" + json_string(name) + "," + where + "," + args);
      const std::string flow = "\"cat\":\"nmi\",\"name\":\"nmi\"," + where;
      if (out != flow_out_.end()) w_.event("\"ph\":\"s\",\"id\":" + std::to_string(out->second) + "," + flow);
      if (in != flow_in_.end()) w_.event("\"ph\":\"f\",\"bp\":\"e\",\"id\":" + std::to_string(in->second) + "," + flow);
      return;
    }
    w_.event("\"ph\":\"i\",\"s\":\"t\",\"cat\":\"event\",\"name\":" + json_string(name) + "," + where + "," + args);
  }

  void finish(const std::vector<Event>& console, const MergeStats& m, const Stats& stats) {
    for (const auto& [cpu, gen] : open_quiesce_) {
      w_.event("\"ph\":\"E\",\"cat\":\"quiesce\",\"name\":\"quiesce " + std::to_string(gen) + "\"," + pid_ +
               ",\"tid\":" + std::to_string(cpu) + ",\"ts\":" + ts_text(last_ts_) +
               ",\"args\":{\"unterminated\":true}");
    }
    for (const Event& c : console) {
      w_.event("\"ph\":\"i\",\"s\":\"t\",\"cat\":\"console\",\"name\":" +
               json_string(c.record.console_text().text().substr(0, 80)) + "," + pid_ + ",\"tid\":" +
               std::to_string(console_tid_) + ",\"ts\":" + ts_text(relative_us(c.tsc, base_)) +
               ",\"args\":{\"text\":" + json_string(c.record.console_text().text()) + ",\"offset\":" +
               std::to_string(c.stream_offset) + "}");
    }
    w_.close("{\"time_unit\":" + json_string(base_.tsc_hz ? "us" : "tsc ticks") + ",\"skewed_edges\":" +
             std::to_string(m.skewed_edges) + ",\"max_skew_ticks\":" + std::to_string(m.max_skew_ticks) +
             ",\"records_lost_transport\":" + std::to_string(stats.records_lost_transport) +
             ",\"frames_damaged\":" + std::to_string(stats.frames_damaged_total()) + "}");
  }

 private:
  TraceWriter w_;
  const TimeBase base_;
  const std::string pid_ = "\"pid\":" + std::to_string(kPid);
  uint64_t console_tid_ = 0;
  std::map<Point, uint64_t> flow_out_, flow_in_;
  std::set<std::pair<uint32_t, uint64_t>> open_quiesce_;  // (cpu, generation)
  double last_ts_ = 0;
};

}  // namespace

void write_chrome_trace(std::ostream& out, const Log& log, const Timeline& timeline) {
  std::vector<std::pair<Point, Point>> nmi_edges;
  for (const auto& e : timeline.edges) {
    if (e.kind != EdgeKind::kNmi) continue;
    nmi_edges.emplace_back(Point{log.at(e.from).cpu, log.at(e.from).seq}, Point{log.at(e.to).cpu, log.at(e.to).seq});
  }
  ChromeTrace trace(out, log, !log.console.empty(), time_base(log), nmi_edges);
  for (const EventRef ref : timeline.order) trace.event(log.at(ref));
  trace.finish(log.console, timeline.stats, log.stats);
}

void write_chrome_trace(std::ostream& out, const LogSummary& summary, MergedStream& records) {
  std::vector<std::pair<Point, Point>> nmi_edges;
  for (const auto& e : summary.edges) {
    if (e.kind == EdgeKind::kNmi) nmi_edges.emplace_back(Point{e.from_cpu, e.from_seq}, Point{e.to_cpu, e.to_seq});
  }
  ChromeTrace trace(out, summary.log, !summary.console.empty(), summary.time_base, nmi_edges);
  while (const Event* e = records.next()) trace.event(*e);
  trace.finish(summary.console, summary.causal, summary.log.stats);
}

}  // namespace nestrr::eventlog
