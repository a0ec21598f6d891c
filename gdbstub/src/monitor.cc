// The monitor commands (monitor.h), dispatched through a table.
#include "nestrr/gdbstub/monitor.h"

#include <charconv>
#include <vector>

namespace nestrr::gdbstub {
namespace {

using Handler = std::string (*)(Target&, std::string_view args);

std::optional<uint64_t> parse_number(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  uint64_t v = 0;
  int base = 10;
  if (s.starts_with("0x")) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string cmd_event(Target& t, std::string_view args) {
  auto n = parse_number(args);
  if (!n) return "usage: monitor event N (a position in [0, " + std::to_string(t.history_length()) + "))\n";
  std::string why;
  if (!t.seek(*n, why)) return "cannot go to event " + std::to_string(*n) + ": " + why + "\n";
  return "now at " + t.describe(t.position()) + "\n";
}

std::string cmd_when(Target& t, std::string_view) { return t.when() + "\n"; }

std::string cmd_timeline(Target& t, std::string_view args) {
  uint64_t k = 10;
  if (!args.empty()) {
    auto n = parse_number(args);
    if (!n || *n == 0) return "usage: monitor timeline [K] (K > 0 events around here)\n";
    k = *n;
  }
  const uint64_t pos = t.position(), len = t.history_length();
  const uint64_t lo = pos > k / 2 ? pos - k / 2 : 0;
  const uint64_t hi = std::min(len, lo + k);
  std::string out;
  for (uint64_t i = lo; i < hi; ++i) out += (i == pos ? "=> " : "   ") + t.describe(i) + "\n";
  if (out.empty()) out = "the history is empty\n";
  return out;
}

std::string cmd_cpu(Target& t, std::string_view args) {
  auto n = parse_number(args);
  if (!n || *n >= t.cpu_count())
    return "usage: monitor cpu N (N < " + std::to_string(t.cpu_count()) + ")\n";
  return t.cpu_report(static_cast<uint32_t>(*n)) + "\n";
}

std::string cmd_help(Target&, std::string_view);

struct Command {
  std::string_view name;
  Handler handler;
  std::string_view help;
};

constexpr Command kCommands[] = {
    {"event", cmd_event, "event N      go to position N of the history (both directions)"},
    {"when", cmd_when, "when         the current position and time"},
    {"timeline", cmd_timeline, "timeline [K] the K positions around here (default 10)"},
    {"cpu", cmd_cpu, "cpu N        what CPU N (gdb thread N+1) is doing here"},
    {"help", cmd_help, "help         this list"},
};

std::string cmd_help(Target&, std::string_view) {
  std::string out = "nestrr monitor commands:\n";
  for (const Command& c : kCommands) out += "  " + std::string(c.help) + "\n";
  return out;
}

}  // namespace

std::string run_monitor(Target& target, std::string_view line) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  std::string_view name = line.substr(0, line.find(' '));
  std::string_view args = name.size() < line.size() ? line.substr(name.size() + 1) : std::string_view{};
  for (const Command& c : kCommands)
    if (c.name == name) return c.handler(target, args);
  return "unknown monitor command '" + std::string(name) + "'; " + cmd_help(target, {});
}

}  // namespace nestrr::gdbstub
