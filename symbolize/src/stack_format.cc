// The tree and gdb forms of a stack. Inlined calls are frames of their own
// (as debuggers show them) and carry their physical frame's method.
#include "nestrr/symbolize/stack_format.h"

#include <fmt/format.h>

namespace nestrr::symbolize {

namespace {

struct Line {
  uint64_t pc;
  std::string function;
  SourceLoc loc;
  std::string tags;
};

// Innermost first.
std::vector<Line> lines_of(const Stack& stack) {
  std::vector<Line> out;
  for (const auto& f : stack.frames) {
    std::string method = method_name(f.raw.method);
    auto logical = logical_frames(*f.info);
    if (logical.empty() || f.info->module.empty()) {
      std::string name = f.info->symbol.empty() ? "??" : f.info->symbol;
      if (f.info->module.empty()) name += " (outside the logged modules)";
      out.push_back({f.raw.pc, name, f.info->loc, method});
      continue;
    }
    for (const auto& l : logical)
      out.push_back({f.raw.pc, l.function, l.loc, l.inlined ? method + ", inlined" : method});
  }
  return out;
}

}  // namespace

std::string format_stack_tree(const Stack& stack) {
  auto lines = lines_of(stack);
  std::string out;
  size_t depth = 0;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it, ++depth)
    out += fmt::format("{:{}}{}  [{}]  {}\n", "", depth * 2, it->function, it->tags, format_loc(it->loc));
  if (!stack.snapshot.what.empty()) out += fmt::format("{:{}}{}\n", "", depth * 2, stack.snapshot.what);
  out += "unwinding stopped: " + stack.stop_reason + "\n";
  return out;
}

std::string format_stack_gdb(const Stack& stack) {
  auto lines = lines_of(stack);
  std::string out;
  for (size_t i = 0; i < lines.size(); i++)
    out += fmt::format("#{:<2} {:#018x} in {} ({})  [{}]\n", i, lines[i].pc, lines[i].function,
                       format_loc(lines[i].loc), lines[i].tags);
  out += "unwinding stopped: " + stack.stop_reason + "\n";
  return out;
}

}  // namespace nestrr::symbolize
