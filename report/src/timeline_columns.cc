// The merged timeline as columns sorted by time, with the NMI and quiesce
// links between its events (see gather_parts.h).
#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>
#include <unordered_map>

#include "gather_parts.h"
#include "nestrr/eventlog/format.h"

namespace nestrr::report::detail {

namespace el = eventlog;

EventIndex::EventIndex(const el::Log& log) {
  index_.resize(log.streams.size());
  for (size_t s = 0; s < log.streams.size(); s++) index_[s].resize(log.streams[s].events.size());
}

namespace {

// The fields of an event as `nestrr dump` prints them, without time, CPU,
// sequence number and kind.
std::string fields_text(const el::Event& e, const el::TimeBase& base, const el::CodeNamer& namer) {
  std::string line = el::format_event(e, base, namer);
  std::string head = " #" + std::to_string(e.seq) + " " + std::string(el::event_kind(e.record));
  size_t at = line.find(head);
  if (at == std::string::npos) return line;
  size_t from = at + head.size();
  while (from < line.size() && line[from] == ' ') from++;
  return line.substr(from);
}

// Takes the numbers out of a field text: a run of decimal digits that does
// not follow a letter, digit or '_' and has no leading zero, or the hex
// digits after "0x", becomes kArg in the shape and an entry of `args`.
constexpr char kArg = '\x01';

std::string take_numbers(const std::string& text, std::vector<std::string>& args) {
  std::string shape;
  shape.reserve(text.size());
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t i = 0; i < text.size();) {
    const bool boundary = i == 0 || !word(text[i - 1]);
    if (boundary && text.compare(i, 2, "0x") == 0 && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      size_t j = i + 2;
      while (j < text.size() && std::isxdigit(static_cast<unsigned char>(text[j]))) j++;
      if (j == text.size() || !word(text[j])) {
        shape += "0x";
        shape += kArg;
        args.push_back(text.substr(i + 2, j - i - 2));
        i = j;
        continue;
      }
    }
    if (boundary && std::isdigit(static_cast<unsigned char>(text[i]))) {
      size_t j = i;
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) j++;
      const bool leading_zero = text[i] == '0' && j - i > 1;
      if (!leading_zero && j - i <= 15 && (j == text.size() || !word(text[j]))) {
        shape += kArg;
        args.push_back(text.substr(i, j - i));
        i = j;
        continue;
      }
      shape.append(text, i, j - i);
      i = j;
      continue;
    }
    shape += text[i] == kArg ? '?' : text[i];  // a literal \x01 cannot pose as a number
    i++;
  }
  return shape;
}

}  // namespace

void build_timeline(const el::Log& log, const el::Timeline& timeline, ReportData& data, EventIndex& index,
                    const el::CodeNamer& namer) {
  const el::TimeBase base = el::time_base(log);
  data.time_unit = base.tsc_hz ? "us" : "ticks";
  std::map<uint32_t, uint32_t> lane_of;
  for (const auto& s : log.streams) {
    lane_of[s.cpu] = static_cast<uint32_t>(data.cpus.size());
    data.cpus.push_back(s.cpu);
  }

  // Sort merged positions by time; ties keep merged order.
  const size_t n = timeline.order.size();
  std::vector<double> t(n);
  for (size_t i = 0; i < n; i++) t[i] = el::relative_us(log.at(timeline.order[i]).tsc, base);
  std::vector<uint32_t> by_time(n);
  std::iota(by_time.begin(), by_time.end(), 0u);
  std::stable_sort(by_time.begin(), by_time.end(), [&](uint32_t a, uint32_t b) { return t[a] < t[b]; });

  std::map<std::string, uint16_t> kind_of;
  std::unordered_map<std::string, uint32_t> detail_of;
  EventColumns& c = data.events;
  c.t.reserve(n), c.lane.reserve(n), c.kind.reserve(n), c.seq.reserve(n), c.detail.reserve(n);
  for (size_t i = 0; i < n; i++) {
    const el::EventRef ref = timeline.order[by_time[i]];
    const el::Event& e = log.at(ref);
    index.at(ref) = static_cast<uint32_t>(i);
    std::string kind(el::event_kind(e.record));
    auto k = kind_of.try_emplace(kind, static_cast<uint16_t>(data.kinds.size()));
    if (k.second) data.kinds.push_back(kind);
    c.arg_start.push_back(static_cast<uint32_t>(c.args.size()));
    auto d = detail_of.try_emplace(take_numbers(fields_text(e, base, namer), c.args), static_cast<uint32_t>(c.details.size()));
    if (d.second) c.details.push_back(d.first->first);
    c.t.push_back(t[by_time[i]]);
    c.lane.push_back(lane_of[e.cpu]);
    c.kind.push_back(k.first->second);
    c.seq.push_back(e.seq);
    c.detail.push_back(d.first->second);
  }

  c.arg_start.push_back(static_cast<uint32_t>(c.args.size()));

  for (const auto& edge : timeline.edges)
    if (edge.kind == el::EdgeKind::kNmi) data.nmis.push_back({index.of(edge.from), index.of(edge.to)});

  // Quiesce spans: begin and end records of one generation on one CPU.
  std::map<std::pair<uint32_t, uint64_t>, uint32_t> open;
  for (uint32_t i = 0; i < n; i++) {
    const el::Event& e = log.at(timeline.order[by_time[i]]);
    if (e.record.has_quiesce_begin()) {
      open.try_emplace({lane_of[e.cpu], e.record.quiesce_begin().generation()}, i);
    } else if (e.record.has_quiesce_end()) {
      auto it = open.find({lane_of[e.cpu], e.record.quiesce_end().generation()});
      if (it == open.end()) continue;
      data.quiesces.push_back({it->first.first, it->second, i, it->first.second, true});
      open.erase(it);
    }
  }
  for (const auto& [key, begin] : open)
    data.quiesces.push_back({key.first, begin, n ? static_cast<uint32_t>(n - 1) : 0, key.second, false});
}

}  // namespace nestrr::report::detail

namespace nestrr::report {

std::string EventColumns::fields(size_t i) const {
  const std::string& shape = details[detail[i]];
  std::string out;
  uint32_t a = arg_start[i];
  for (char ch : shape) {
    if (ch == detail::kArg && a < arg_start[i + 1]) out += args[a++];
    else out += ch;
  }
  return out;
}

}  // namespace nestrr::report
