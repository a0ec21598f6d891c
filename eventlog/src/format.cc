// One line per event: a few hand-made forms for the frequent events, a
// reflection-driven "name=value" list for the rest.
#include "nestrr/eventlog/format.h"

#include <cinttypes>
#include <cstdio>
#include <set>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include "nestrr/eventlog/exit_reasons.h"
#include "nestrr/eventlog/json_text.h"
#include "text_util.h"

namespace nestrr::eventlog {

using detail::hex;
using google::protobuf::FieldDescriptor;

TimeBase time_base(const Log& log) {
  TimeBase base;
  base.tsc_hz = log.tsc_hz();
  bool any = false;
  for (const auto& s : log.streams) {
    for (const auto& e : s.events) {
      if (!any || e.tsc < base.tsc0) base.tsc0 = e.tsc;
      any = true;
    }
  }
  return base;
}

double relative_us(uint64_t tsc, const TimeBase& base) {
  const double ticks = static_cast<double>(static_cast<int64_t>(tsc - base.tsc0));
  return base.tsc_hz ? ticks * 1e6 / static_cast<double>(base.tsc_hz) : ticks;
}

namespace {

std::string time_text(uint64_t tsc, const TimeBase& base) {
  char buf[48];
  if (base.tsc_hz) {
    std::snprintf(buf, sizeof buf, "%12.3fus", relative_us(tsc, base));
  } else {
    std::snprintf(buf, sizeof buf, "%12" PRId64 "t", static_cast<int64_t>(tsc - base.tsc0));
  }
  return buf;
}

bool looks_like_address(const std::string& name) {
  for (const char* suffix : {"rip", "gpa", "address", "rsp", "cr3"}) {
    const std::string s(suffix);
    if (name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) return true;
  }
  return false;
}

// " <name>" for a hypervisor code address, if the namer knows it.
void append_name(std::string& out, const CodeNamer& namer, uint64_t address, bool return_address) {
  if (!namer || !address) return;
  std::string name = namer(address, return_address);
  if (!name.empty()) out += " <" + name + ">";
}

// Generic "name=value" for every set field of a message. An assertion's
// "rip" is a hypervisor code address (the return address of its call).
void append_fields(std::string& out, const google::protobuf::Message& m, const CodeNamer& namer = {}) {
  const auto* refl = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  for (const auto* f : fields) {
    out += ' ';
    out += f->name();
    out += '=';
    if (f->is_repeated()) {
      out += "[" + std::to_string(refl->FieldSize(m, f)) + " items]";
      continue;
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_UINT32: out += std::to_string(refl->GetUInt32(m, f)); break;
      case FieldDescriptor::CPPTYPE_INT32: out += std::to_string(refl->GetInt32(m, f)); break;
      case FieldDescriptor::CPPTYPE_UINT64: {
        const uint64_t v = refl->GetUInt64(m, f);
        out += looks_like_address(f->name()) ? hex(v) : std::to_string(v);
        if (f->name() == "rip" && m.GetDescriptor() == nestrr::v1::AssertionFailure::descriptor())
          append_name(out, namer, v, true);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: out += std::to_string(refl->GetInt64(m, f)); break;
      case FieldDescriptor::CPPTYPE_BOOL: out += refl->GetBool(m, f) ? "1" : "0"; break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* v = refl->GetEnum(m, f);
        out += v ? v->name() : std::to_string(refl->GetEnumValue(m, f));
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        const std::string v = refl->GetString(m, f);
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          out += "<" + std::to_string(v.size()) + " bytes>";
        } else {
          out += '"';
          append_json_escaped(out, v);
          out += '"';
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: out += "{...}"; break;
      default: out += "?"; break;
    }
  }
}

}  // namespace

std::string format_event(const Event& e, const TimeBase& base, const CodeNamer& namer) {
  std::string out = time_text(e.tsc, base);
  out += e.cpu == kNoCpu ? " console" : " cpu" + std::to_string(e.cpu);
  out += " #" + std::to_string(e.seq) + " ";
  out += event_kind(e.record);
  const auto& r = e.record;
  switch (r.event_case()) {
    case nestrr::v1::Record::kVmExit: {
      const auto& x = r.vm_exit();
      const auto name = exit_reason_name(x.reason());
      out += " reason=" + std::to_string(x.reason() & 0xffffu);
      if (!name.empty()) out += "(" + std::string(name) + ")";
      if (x.reason() >> 16) out += " reason_bits=" + hex(x.reason());
      out += " rip=" + hex(e.guest_rip) + " qual=" + hex(x.qualification()) +
             " from_l2=" + (x.from_l2() ? "1" : "0");
      break;
    }
    case nestrr::v1::Record::kNmiSent:
      out += " -> cpu" + std::to_string(r.nmi_sent().target_cpu()) +
             " token=" + std::to_string(r.nmi_sent().token());
      break;
    case nestrr::v1::Record::kNmiReceived: {
      const auto& n = r.nmi_received();
      out += n.has_source_cpu() ? " from cpu" + std::to_string(n.source_cpu()) : " from ?";
      out += " token=" + std::to_string(n.token()) + " rip=" + hex(n.interrupted_rip());
      append_name(out, namer, n.interrupted_rip(), false);
      out += " progress=" + std::to_string(n.progress());
      break;
    }
    case nestrr::v1::Record::kConsoleText:
      out += " \"";
      append_json_escaped(out, r.console_text().text());
      out += "\"";
      break;
    case nestrr::v1::Record::EVENT_NOT_SET:
      break;
    default: {
      const auto* field = nestrr::v1::Record::descriptor()->FindFieldByNumber(r.event_case());
      if (field) append_fields(out, r.GetReflection()->GetMessage(r, field), namer);
    }
  }
  return out;
}

namespace {

// "symbols":{...} for the code addresses of a record the namer can name.
std::string json_symbols(const nestrr::v1::Record& r, const CodeNamer& namer) {
  std::vector<std::pair<uint64_t, bool>> addrs;  // address, follows a call
  if (r.has_nmi_received()) addrs.push_back({r.nmi_received().interrupted_rip(), false});
  if (r.has_assertion_failure()) {
    const auto& a = r.assertion_failure();
    addrs.push_back({a.rip(), true});
    if (a.has_registers()) addrs.push_back({a.registers().rip(), true});
    for (uint64_t ra : a.return_address()) addrs.push_back({ra, true});
  }
  std::string out;
  std::set<uint64_t> seen;
  for (auto [addr, ret] : addrs) {
    if (!addr || !seen.insert(addr).second) continue;
    std::string name = namer(addr, ret);
    if (name.empty()) continue;
    out += out.empty() ? ",\"symbols\":{\"" : ",\"";
    out += hex(addr) + "\":\"";
    append_json_escaped(out, name);
    out += "\"";
  }
  return out.empty() ? out : out + "}";
}

}  // namespace

std::string format_json_line(const Event& e, const TimeBase& base, const CodeNamer& namer) {
  std::string record;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(e.record, &record, options).ok()) {
    record = "null";
  }
  std::string out = "{\"cpu\":";
  out += e.cpu == kNoCpu ? "null" : std::to_string(e.cpu);
  out += ",\"seq\":" + std::to_string(e.seq) + ",\"tsc\":" + std::to_string(e.tsc);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f", relative_us(e.tsc, base));
  out += base.tsc_hz ? std::string(",\"time_us\":") + buf : std::string();
  out += ",\"offset\":" + std::to_string(e.stream_offset) + ",\"kind\":\"";
  out += event_kind(e.record);
  out += "\"";
  if (e.record.has_vm_exit()) out += ",\"guest_rip\":" + std::to_string(e.guest_rip);
  out += ",\"record\":" + record;
  if (namer) out += json_symbols(e.record, namer);
  return out + "}";
}

bool Filter::matches(const Event& e, const TimeBase& base) const {
  if (!cpus.empty() && !cpus.count(e.cpu)) return false;
  if (!kinds.empty() && !kinds.count(std::string(event_kind(e.record)))) return false;
  if (tsc_min && e.tsc < *tsc_min) return false;
  if (tsc_max && e.tsc > *tsc_max) return false;
  if (time_min_us || time_max_us) {
    const double t = relative_us(e.tsc, base);
    if (time_min_us && t < *time_min_us) return false;
    if (time_max_us && t > *time_max_us) return false;
  }
  return true;
}

}  // namespace nestrr::eventlog
