// Text forms of one symbolized address: nestrr's own and eu-addr2line's (addr2line_format.h).
#include "nestrr/symbolize/addr2line_format.h"

#include <cstdio>
#include <filesystem>

#include "nestrr/eventlog/hex.h"

namespace nestrr::symbolize {

std::string format_address(const AddrInfo& info) {
  std::string out = eventlog::hex(info.address) + " " + info.function_offset();
  if (info.module.empty()) out += "  (no module holds this address)";
  out += "\n";
  if (info.module.empty()) return out;
  for (const auto& f : logical_frames(info)) {
    out += "    " + f.function + "  " + format_loc(f.loc);
    if (f.inlined) out += "  (inlined)";
    out += "\n";
  }
  return out;
}

std::string format_eu_addr2line(const AddrInfo& info, bool demangled) {
  auto name = [&](const Scope& s) { return demangled ? s.name : s.raw_name; };
  std::string out;
  if (info.scopes.empty()) {
    out += info.raw_symbol.empty() ? std::string("??") : (demangled ? info.symbol : info.raw_symbol);
  } else {
    const Scope& inner = info.scopes.front();
    out += name(inner);
    if (inner.inlined)
      out += " inlined at " + format_loc(inner.call) + " in " +
             (demangled ? demangle(info.inline_context_raw) : info.inline_context_raw);
  }
  out += "\n" + format_loc(info.loc) + "\n";
  for (size_t i = 0; i + 1 < info.scopes.size(); i++) {
    if (!info.scopes[i].inlined) break;
    out += name(info.scopes[i + 1]) + "\n" + format_loc(info.scopes[i].call) + "\n";
  }
  return out;
}

namespace {

// "ns::f(int, char*) const" -> "ns::f": the parameter list is noise on one line.
std::string without_parameters(const std::string& name) {
  std::string s = name;
  if (s.size() > 6 && s.compare(s.size() - 6, 6, " const") == 0) s.resize(s.size() - 6);
  if (s.empty() || s.back() != ')') return name;
  int depth = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == ')') depth++;
    if (s[i] == '(' && --depth == 0) return i ? s.substr(0, i) : name;
  }
  return name;
}

}  // namespace

std::string short_name(Symbolizer& sym, uint64_t address, bool return_address) {
  const AddrInfo& info = sym.lookup(return_address && address ? address - 1 : address);
  if (info.module.empty()) return {};
  std::string out;
  if (info.symbol.empty()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s+0x%llx", info.module.c_str(), (unsigned long long)address);
    out = buf;
  } else {
    out = without_parameters(info.symbol);
    if (uint64_t off = address - info.symbol_start) out += "+" + std::to_string(off);
  }
  if (!info.scopes.empty() && info.scopes.front().inlined) out += " [inlined " + info.scopes.front().name + "]";
  if (info.loc.known())
    out += " " + std::filesystem::path(info.loc.file).filename().string() + ":" + std::to_string(info.loc.line);
  return out;
}

}  // namespace nestrr::symbolize
