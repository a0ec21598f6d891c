// Chrome trace-event JSON writer. Strings are escaped by hand (no JSON
// library); the protobuf JSON printer supplies each record's fields.
#include "nestrr/eventlog/chrome_trace.h"

#include <cstdio>
#include <map>
#include <set>

#include <google/protobuf/util/json_util.h>

#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/json_text.h"
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

}  // namespace

void write_chrome_trace(std::ostream& out, const Log& log, const Timeline& timeline) {
  const TimeBase base = time_base(log);
  TraceWriter w(out);
  const std::string pid = "\"pid\":" + std::to_string(kPid);
  std::string process = "nestrr";
  if (log.header && !log.header->description().empty()) process += ": " + log.header->description();
  w.event("\"ph\":\"M\"," + pid + ",\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":" +
          json_string(process) + "}");
  uint64_t console_tid = 0;
  for (const auto& s : log.streams) {
    w.event("\"ph\":\"M\"," + pid + ",\"tid\":" + std::to_string(s.cpu) +
            ",\"name\":\"thread_name\",\"args\":{\"name\":\"cpu" + std::to_string(s.cpu) + "\"}");
    console_tid = std::max<uint64_t>(console_tid, uint64_t{s.cpu} + 1);
  }
  if (!log.console.empty()) {
    w.event("\"ph\":\"M\"," + pid + ",\"tid\":" + std::to_string(console_tid) +
            ",\"name\":\"thread_name\",\"args\":{\"name\":\"console\"}");
  }

  // Flow ids: one per NMI edge, keyed by its endpoints.
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> flow_out, flow_in;
  uint64_t next_flow = 1;
  for (const auto& e : timeline.edges) {
    if (e.kind != EdgeKind::kNmi) continue;
    flow_out[{e.from.stream, e.from.index}] = next_flow;
    flow_in[{e.to.stream, e.to.index}] = next_flow;
    ++next_flow;
  }

  std::set<std::pair<uint32_t, uint64_t>> open_quiesce;  // (cpu, generation)
  double last_ts = 0;
  for (const EventRef ref : timeline.order) {
    const Event& e = log.at(ref);
    const double ts = relative_us(e.tsc, base);
    last_ts = std::max(last_ts, ts);
    const std::string where = pid + ",\"tid\":" + std::to_string(e.cpu) + ",\"ts\":" + ts_text(ts);
    const std::string name = std::string(event_kind(e.record));
    const std::string args = "\"args\":{\"seq\":" + std::to_string(e.seq) +
                             (e.record.has_vm_exit() ? ",\"guest_rip\":" + json_string(detail::hex(e.guest_rip)) : "") +
                             ",\"record\":" + record_json(e.record) + "}";
    const auto key = std::make_pair(ref.stream, ref.index);
    if (e.record.has_quiesce_begin()) {
      const uint64_t gen = e.record.quiesce_begin().generation();
      if (open_quiesce.insert({e.cpu, gen}).second) {
        w.event("\"ph\":\"B\",\"cat\":\"quiesce\",\"name\":\"quiesce " + std::to_string(gen) + "\"," +
                where + "," + args);
        continue;
      }
    } else if (e.record.has_quiesce_end()) {
      const uint64_t gen = e.record.quiesce_end().generation();
      if (open_quiesce.erase({e.cpu, gen})) {
        w.event("\"ph\":\"E\",\"cat\":\"quiesce\",\"name\":\"quiesce " + std::to_string(gen) + "\"," +
                where + "," + args);
        continue;
      }
    }
    const bool flow_src = flow_out.count(key) > 0;
    const bool flow_dst = flow_in.count(key) > 0;
    if (flow_src || flow_dst) {
      // Flows bind to slices, so NMI endpoints are zero-length slices.
      w.event("\"ph\":\"X\",\"dur\":0,\"cat\":\"nmi\",\"name\":" + json_string(name) + "," + where + "," + args);
      const std::string flow = "\"cat\":\"nmi\",\"name\":\"nmi\"," + where;
      if (flow_src) w.event("\"ph\":\"s\",\"id\":" + std::to_string(flow_out[key]) + "," + flow);
      if (flow_dst) w.event("\"ph\":\"f\",\"bp\":\"e\",\"id\":" + std::to_string(flow_in[key]) + "," + flow);
      continue;
    }
    w.event("\"ph\":\"i\",\"s\":\"t\",\"cat\":\"event\",\"name\":" + json_string(name) + "," + where + "," + args);
  }
  for (const auto& [cpu, gen] : open_quiesce) {
    w.event("\"ph\":\"E\",\"cat\":\"quiesce\",\"name\":\"quiesce " + std::to_string(gen) + "\"," + pid +
            ",\"tid\":" + std::to_string(cpu) + ",\"ts\":" + ts_text(last_ts) +
            ",\"args\":{\"unterminated\":true}");
  }
  for (const Event& c : log.console) {
    w.event("\"ph\":\"i\",\"s\":\"t\",\"cat\":\"console\",\"name\":" +
            json_string(c.record.console_text().text().substr(0, 80)) + "," + pid + ",\"tid\":" +
            std::to_string(console_tid) + ",\"ts\":" + ts_text(relative_us(c.tsc, base)) +
            ",\"args\":{\"text\":" + json_string(c.record.console_text().text()) + ",\"offset\":" +
            std::to_string(c.stream_offset) + "}");
  }
  const auto& m = timeline.stats;
  w.close("{\"time_unit\":" + json_string(base.tsc_hz ? "us" : "tsc ticks") + ",\"skewed_edges\":" +
          std::to_string(m.skewed_edges) + ",\"max_skew_ticks\":" + std::to_string(m.max_skew_ticks) +
          ",\"records_lost_transport\":" + std::to_string(log.stats.records_lost_transport) +
          ",\"frames_damaged\":" + std::to_string(log.stats.frames_damaged_total()) + "}");
}

}  // namespace nestrr::eventlog
