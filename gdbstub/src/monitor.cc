// The monitor commands (monitor.h), dispatched through a table.
#include "nestrr/gdbstub/monitor.h"

#include <charconv>
#include <vector>

namespace nestrr::gdbstub {
namespace {

using Handler = std::string (*)(Target&, MonitorState&, std::string_view args);

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> parse_number(std::string_view s) {
  s = trim(s);
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

// gdb and lldb cache registers and memory until the target stops; a
// monitor command is no stop.
constexpr const char* kRefresh =
    "(gdb keeps what it read until the target stops: `nestrr debug` refreshes it after every monitor "
    "command, else `maintenance flush register-cache`; or `monitor goto N` and continue)";

std::string cmd_event(Target& t, MonitorState&, std::string_view args) {
  auto n = parse_number(args);
  if (!n) return "usage: monitor event N (a position in [0, " + std::to_string(t.history_length()) + "))\n";
  std::string why;
  if (!t.seek(*n, why)) return "cannot go to event " + std::to_string(*n) + ": " + why + "\n";
  return "now at " + t.describe(t.position()) + "\n" + kRefresh + "\n";
}

std::string cmd_goto(Target& t, MonitorState& st, std::string_view args) {
  auto n = parse_number(args);
  if (!n) return "usage: monitor goto N (the next continue or step goes to position N and stops)\n";
  st.go_to = *n;
  st.restart.reset();
  return "the next continue or step goes to " + std::to_string(*n) + " (now at " + std::to_string(t.position()) +
         ")\n";
}

std::string cmd_when(Target& t, MonitorState& st, std::string_view) {
  std::string out = t.when() + "\n";
  if (st.direction == Direction::kBackward) out += "continue and step run backward (monitor direction)\n";
  if (st.go_to) out += "the next continue or step goes to " + std::to_string(*st.go_to) + "\n";
  if (st.restart) out += "the next continue or step goes back to checkpoint " + std::to_string(*st.restart) + "\n";
  return out;
}

std::string cmd_timeline(Target& t, MonitorState&, std::string_view args) {
  uint64_t k = 10;
  if (!trim(args).empty()) {
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

std::string cmd_cpu(Target& t, MonitorState&, std::string_view args) {
  auto n = parse_number(args);
  if (!n || *n >= t.cpu_count())
    return "usage: monitor cpu N (N < " + std::to_string(t.cpu_count()) + ")\n";
  return t.cpu_report(static_cast<uint32_t>(*n)) + "\n";
}

struct KindName {
  std::string_view name;
  EventKind kind;
};
constexpr KindName kKinds[] = {
    {"vmexit", EventKind::kVmExit},  {"vmentry", EventKind::kVmEntry}, {"nmi", EventKind::kNmi},
    {"nmi-sent", EventKind::kNmiSent}, {"flush", EventKind::kFlush},  {"mode", EventKind::kModeChange},
    {"vmcs12", EventKind::kVmcs12},  {"quiesce", EventKind::kQuiesce}, {"assert", EventKind::kAssertion},
};

std::string find(Target& t, MonitorState& st, std::string_view args, Direction dir) {
  args = trim(args);
  std::string_view word = args.substr(0, args.find(' '));
  std::optional<uint32_t> cpu;
  if (word.size() < args.size()) {
    auto n = parse_number(args.substr(word.size()));
    if (!n || *n >= t.cpu_count()) word = {};
    else cpu = static_cast<uint32_t>(*n);
  }
  const KindName* k = nullptr;
  for (const KindName& kn : kKinds)
    if (kn.name == word) k = &kn;
  if (!k) {
    std::string kinds;
    for (const KindName& kn : kKinds) kinds += (kinds.empty() ? "" : ", ") + std::string(kn.name);
    return std::string("usage: monitor ") + (dir == Direction::kForward ? "next" : "prev") + " KIND [CPU] (KIND: " +
           kinds + "; CPU < " + std::to_string(t.cpu_count()) + ")\n";
  }
  std::string what;
  auto at = t.find_event(k->kind, cpu, dir, what);
  if (!at) return what + "\n";
  st.go_to = *at;
  st.restart.reset();
  return what + "\nposition " + std::to_string(*at) + ": the next continue or step goes there (or monitor event " +
         std::to_string(*at) + ")\n";
}

std::string cmd_next(Target& t, MonitorState& st, std::string_view args) {
  return find(t, st, args, Direction::kForward);
}
std::string cmd_prev(Target& t, MonitorState& st, std::string_view args) {
  return find(t, st, args, Direction::kBackward);
}

std::string cmd_checkpoint(Target& t, MonitorState&, std::string_view) {
  const uint64_t id = t.save_place();
  if (id == 0) return "the log is still being read: nothing to remember yet\n";
  return "checkpoint " + std::to_string(id) + " at " + t.when() + "\n";
}

std::string cmd_restart(Target&, MonitorState& st, std::string_view args) {
  auto n = parse_number(args);
  if (!n || *n == 0) return "usage: monitor restart ID (a checkpoint's number; the next continue or step goes there)\n";
  st.restart = *n;
  st.go_to.reset();
  return "the next continue or step goes back to checkpoint " + std::to_string(*n) + "\n";
}

std::string cmd_direction(Target&, MonitorState& st, std::string_view args) {
  args = trim(args);
  if (args == "backward" || args == "reverse")
    st.direction = Direction::kBackward;
  else if (args == "forward")
    st.direction = Direction::kForward;
  else if (!args.empty())
    return "usage: monitor direction [forward|backward]\n";
  return std::string("continue and step run ") +
         (st.direction == Direction::kForward ? "forward" : "backward (gdb's reverse commands run forward)") + "\n";
}

std::string cmd_help(Target&, MonitorState&, std::string_view);

struct Command {
  std::string_view name;
  Handler handler;
  std::string_view help;
};

constexpr Command kCommands[] = {
    {"event", cmd_event, "event N         go to position N of the history now (both directions)"},
    {"goto", cmd_goto, "goto N          the next continue or step goes to position N and stops there"},
    {"when", cmd_when, "when            the current position and time"},
    {"next", cmd_next, "next KIND [CPU] the next vmexit, vmentry, nmi, nmi-sent, flush, mode, vmcs12, quiesce or\n"
                       "                assert (on CPU); the next continue or step goes there"},
    {"prev", cmd_prev, "prev KIND [CPU] the same, backward"},
    {"checkpoint", cmd_checkpoint, "checkpoint      remember exactly where the history stands (as rr's checkpoint)"},
    {"restart", cmd_restart, "restart ID      the next continue or step goes back to checkpoint ID"},
    {"timeline", cmd_timeline, "timeline [K]    the K positions around here (default 10)"},
    {"cpu", cmd_cpu, "cpu N           what CPU N (gdb thread N+1) is doing here"},
    {"direction", cmd_direction, "direction D     forward or backward: which way continue and step run (lldb 14\n"
                                 "                has no reverse commands)"},
    {"help", cmd_help, "help            this list"},
};

std::string cmd_help(Target&, MonitorState&, std::string_view) {
  std::string out = "nestrr monitor commands:\n";
  for (const Command& c : kCommands) out += "  " + std::string(c.help) + "\n";
  return out;
}

}  // namespace

std::string run_monitor(Target& target, MonitorState& state, std::string_view line) {
  line = trim(line);
  std::string_view name = line.substr(0, line.find(' '));
  std::string_view args = name.size() < line.size() ? line.substr(name.size() + 1) : std::string_view{};
  for (const Command& c : kCommands)
    if (c.name == name) return c.handler(target, state, args);
  return "unknown monitor command '" + std::string(name) + "'; " + cmd_help(target, state, {});
}

}  // namespace nestrr::gdbstub
