// Side-by-side interleaving, stack and failure text.
#include "nestrr/replay/interleaving_view.h"

#include <algorithm>
#include <cstdio>

#include "nestrr/replay/point_names.h"

namespace nestrr::replay {
namespace {

using Kind = TraceEntry::Kind;

std::string fit(std::string s, size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string describe_entry(const TraceEntry& e) {
  std::string nmi = e.nmi_depth ? "nmi| " : "";
  std::string p = " @" + std::to_string(e.progress);
  switch (e.kind) {
    case Kind::kPoint: return nmi + point_name(e.point) + p;
    case Kind::kWaitDone: return nmi + "done: " + point_name(e.point) + p;
    case Kind::kEvent: return nmi + "log " + e.text;
    case Kind::kNmiSent: return nmi + "send NMI -> cpu" + std::to_string(e.other_cpu);
    case Kind::kNmiDelivered: return "NMI taken" + p;
    case Kind::kNmiReturn: return "nmi| return from NMI";
    case Kind::kAssertion: return nmi + "ASSERTION FAILED: " + e.text;
  }
  return "";
}

namespace {

// A row with `text` in column `cpu`.
std::string row(uint32_t cpus, uint32_t cpu, const std::string& text, size_t w) {
  std::string out = "  ";
  for (uint32_t c = 0; c < cpus; ++c) {
    out += fit(c == cpu ? text : "", w);
    if (c + 1 < cpus) out += " | ";
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "\n";
}

// The arrow from the sender's column to the receiver's.
std::string arrow(uint32_t cpus, uint32_t from, uint32_t to, size_t w) {
  if (from >= cpus) from = to;
  uint32_t lo = std::min(from, to), hi = std::max(from, to);
  std::string label = " NMI from cpu" + std::to_string(from) + " ";
  std::string out = "  ";
  for (uint32_t c = 0; c < cpus; ++c) {
    std::string cell;
    if (c >= lo && c <= hi && lo != hi) {
      cell.assign(w, '=');
      if (c == to) cell[to < from ? 0 : w - 1] = to < from ? '<' : '>';
      if (c == lo) cell.replace(std::min<size_t>(4, w - 1), std::min(label.size(), w - 5), label, 0, w - 5);
    } else if (c == to) {
      cell = fit("==>" + label, w);
    }
    out += fit(cell, w);
    if (c + 1 < cpus) out += (c >= lo && c < hi && lo != hi) ? "===" : " | ";
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "\n";
}

}  // namespace

// The accesses the NMI at trace index i fell between: the access after the
// CPU's previous point, and the one after the point it was taken at.
std::string nmi_landed_between(const std::vector<TraceEntry>& t, size_t i) {
  uint32_t cpu = t[i].cpu;
  std::vector<uint32_t> points;
  for (size_t j = i; j-- > 0 && points.size() < 2;)
    if (t[j].cpu == cpu && t[j].kind == Kind::kPoint && t[j].nmi_depth == 0) points.push_back(t[j].point);
  if (points.size() < 2) return "";
  const char* done = point_access(points[1]);
  const char* next = point_access(points[0]);
  if (!*done || !*next) return "";
  return std::string("landed after \"") + done + "\", before \"" + next + "\"";
}

std::string failure_line(const ReproducedFailure& f) {
  return "cpu" + std::to_string(f.cpu) + ": assertion '" + f.condition + "' failed at " + f.file +
         ":" + std::to_string(f.line) + " (progress " + std::to_string(f.progress) + ")";
}

std::pair<size_t, size_t> interleaving_window(const ReplayResult& r, size_t rows) {
  const auto& t = r.trace;
  if (t.empty()) return {0, 0};
  size_t end = t.size();
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].kind == Kind::kAssertion) end = i + 1;
  size_t start = end > rows ? end - rows : 0;
  // Reach back to the NMI that led to the failure and a few rows before it.
  uint32_t failing = r.failure ? r.failure->cpu : t[end - 1].cpu;
  for (size_t j = end; j-- > 0;) {
    if (t[j].cpu == failing && t[j].kind == Kind::kNmiDelivered) {
      start = std::min(start, j > 4 ? j - 4 : 0);
      break;
    }
  }
  return {start, end};
}

std::string interleaving_view(const ReplayResult& r, uint32_t cpus, const ViewOptions& o) {
  const auto& t = r.trace;
  if (t.empty()) return "  (no trace)\n";
  auto [start, end] = interleaving_window(r, o.rows);
  std::string out = "  ";
  for (uint32_t c = 0; c < cpus; ++c) {
    out += fit("cpu" + std::to_string(c), o.column_width);
    if (c + 1 < cpus) out += " | ";
  }
  while (out.back() == ' ') out.pop_back();
  out += "\n  ";
  for (uint32_t c = 0; c < cpus; ++c) {
    out += std::string(o.column_width, '-');
    if (c + 1 < cpus) out += "-+-";
  }
  out += "\n";
  for (size_t i = start; i < end; ++i) {
    const TraceEntry& e = t[i];
    if (e.kind == Kind::kNmiDelivered) {
      out += arrow(cpus, e.other_cpu, e.cpu, o.column_width);
      std::string b = nmi_landed_between(t, i);
      if (!b.empty()) out += row(cpus, e.cpu, "NMI " + b.substr(0, 6) + ":", o.column_width),
                         out += "      " + std::string(e.cpu * (o.column_width + 3), ' ') + b + "\n";
      continue;
    }
    out += row(cpus, e.cpu, describe_entry(e), o.column_width);
  }
  return out;
}

std::string stack_view(const ReplayResult& r) {
  std::string out;
  for (size_t i = 0; i < r.stack.size(); ++i) {
    char head[48];
    std::snprintf(head, sizeof head, "  #%-2zu 0x%012llx  ", i, static_cast<unsigned long long>(r.stack[i]));
    out += head;
    if (i < r.stack_symbols.size()) out += HostSymbolizer::describe(r.stack_symbols[i]);
    out += "\n";
  }
  return out;
}

}  // namespace nestrr::replay
