#include "nestrr/symbolize/addr2line_format.h"

#include <cstdio>

namespace nestrr::symbolize {

std::string format_address(const AddrInfo& info) {
  char addr[32];
  std::snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)info.address);
  std::string out = std::string(addr) + " " + info.function_offset();
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

}  // namespace nestrr::symbolize
