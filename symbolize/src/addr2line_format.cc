#include "nestrr/symbolize/addr2line_format.h"

#include <cstdio>
#include <filesystem>

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

namespace {

std::string gnu_loc(const SourceLoc& loc) {
  if (!loc.known()) return "??:0";
  return loc.file + ":" + (loc.line ? std::to_string(loc.line) : std::string("?"));
}

void json_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  out += '"';
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
  return buf;
}

}  // namespace

std::string format_addr2line(const AddrInfo& info, const GnuStyle& style) {
  std::string out;
  if (style.addresses) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016llx\n", (unsigned long long)info.address);
    out += buf;
  }
  auto name = [&](const std::string& raw, const std::string& demangled) {
    if (raw.empty()) return std::string("??");
    return style.demangle ? demangled : raw;
  };
  if (info.scopes.empty()) {
    if (style.functions) out += name(info.raw_symbol, info.symbol) + "\n";
    out += gnu_loc(info.loc) + "\n";
    return out;
  }
  const Scope& inner = info.scopes.front();
  if (style.functions) out += name(inner.raw_name, inner.name) + "\n";
  out += gnu_loc(info.loc) + "\n";
  if (!style.inlines) return out;
  for (size_t i = 0; i + 1 < info.scopes.size() && info.scopes[i].inlined; i++) {
    if (style.functions) out += name(info.scopes[i + 1].raw_name, info.scopes[i + 1].name) + "\n";
    out += gnu_loc(info.scopes[i].call) + "\n";
  }
  return out;
}

std::string format_llvm_json(const AddrInfo& info, const std::string& module_name, bool demangle) {
  std::string out = "{\"Address\":\"" + hex(info.address) + "\",\"ModuleName\":";
  json_string(out, module_name);
  out += ",\"Symbol\":[";
  auto frame = [&](const std::string& function, const SourceLoc& loc, const std::string& start) {
    out += "{\"Column\":" + std::to_string(loc.column) + ",\"Discriminator\":0,\"FileName\":";
    json_string(out, loc.file);
    out += ",\"FunctionName\":";
    json_string(out, function);
    out += ",\"Line\":" + std::to_string(loc.line) + ",\"StartAddress\":";
    json_string(out, start);
    out += ",\"StartFileName\":\"\",\"StartLine\":0}";
  };
  if (info.scopes.empty()) {
    frame(demangle ? info.symbol : info.raw_symbol, info.loc,
          info.raw_symbol.empty() ? std::string() : hex(info.symbol_start));
  } else {
    SourceLoc loc = info.loc;
    for (size_t i = 0; i < info.scopes.size(); i++) {
      const Scope& s = info.scopes[i];
      if (i) out += ',';
      bool outermost = i + 1 == info.scopes.size() || !s.inlined;
      frame(demangle ? s.name : s.raw_name, loc,
            outermost && !info.raw_symbol.empty() ? hex(info.symbol_start) : std::string());
      if (outermost) break;
      loc = s.call;
    }
  }
  out += "]}\n";
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
