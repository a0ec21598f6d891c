// addr2line's and llvm-symbolizer's text for ElfIndex answers.
#include "nestrr/symbolize/gnu_format.h"

#include <cxxabi.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace nestrr::symbolize {

std::string_view Demangler::operator()(std::string_view name) {
  auto it = cache_.find(std::string(name));
  if (it != cache_.end()) return it->second;
  std::string base(name), suffix;
  size_t at = base.find('@');
  if (at != std::string::npos && at > 0) {
    suffix = base.substr(at);
    base.resize(at);
  }
  std::string out(name);
  if (base.size() > 2 && base[0] == '_' && base[1] == 'Z') {
    int status = 0;
    char* d = abi::__cxa_demangle(base.c_str(), nullptr, nullptr, &status);
    if (status == 0 && d) out = std::string(d) + suffix;
    std::free(d);
  }
  return cache_.emplace(std::string(name), std::move(out)).first->second;
}

namespace {

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, size_t(r.ptr - buf));
}

// "0x" and `digits` hex digits (0: as many as needed).
void append_hex(std::string& out, uint64_t v, int digits = 0) {
  char buf[18];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v || end - p < digits);
  *--p = 'x';
  *--p = '0';
  out.append(p, size_t(end - p));
}

void append_location(std::string& out, const GnuFrame& f, unsigned discriminator) {
  out.append(f.file_known ? f.file : std::string_view("??"));
  out += ':';
  if (!f.line) {
    out += "?\n";
    return;
  }
  append_uint(out, f.line);
  if (discriminator) {
    out += " (discriminator ";
    append_uint(out, discriminator);
    out += ')';
  }
  out += '\n';
}

void json_string(std::string& out, std::string_view s) {
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

}  // namespace

void append_addr2line(std::string& out, uint64_t address, const GnuAnswer& answer, const GnuFlags& flags,
                      Demangler& demangler) {
  if (flags.addresses) {
    append_hex(out, address, 16);
    out += '\n';
  }
  if (!answer.found || answer.frames.empty()) {
    if (flags.functions) out += "??\n";
    out += "??:0\n";
    return;
  }
  size_t shown = flags.inlines ? answer.frames.size() : 1;
  for (size_t i = 0; i < shown; i++) {
    const GnuFrame& f = answer.frames[i];
    if (flags.functions) {
      if (f.function.empty())
        out += "??";
      else
        out.append(flags.demangle ? demangler(f.function) : f.function);
      out += '\n';
    }
    // addr2line repeats the first row's discriminator down the chain.
    append_location(out, f, answer.discriminator);
  }
}

void append_llvm_json(std::string& out, uint64_t address, std::string_view module, const GnuAnswer& answer,
                      Demangler& demangler) {
  out += "{\"Address\":\"";
  append_hex(out, address);
  out += "\",\"ModuleName\":";
  json_string(out, module);
  out += ",\"Symbol\":[";
  auto frame = [&](const GnuFrame* f, bool outermost) {
    out += "{\"Column\":";
    append_uint(out, f ? f->column : 0);
    out += ",\"Discriminator\":";
    append_uint(out, f == (answer.frames.empty() ? nullptr : &answer.frames[0]) ? answer.discriminator : 0);
    out += ",\"FileName\":";
    json_string(out, f ? f->file : std::string_view());
    out += ",\"FunctionName\":";
    json_string(out, f && !f->function.empty() ? demangler(f->function) : std::string_view());
    out += ",\"Line\":";
    append_uint(out, f ? f->line : 0);
    out += ",\"StartAddress\":\"";
    if (outermost && answer.function_start) append_hex(out, answer.function_start);
    out += "\",\"StartFileName\":\"\",\"StartLine\":0}";
  };
  if (!answer.found || answer.frames.empty()) {
    frame(nullptr, false);
  } else {
    for (size_t i = 0; i < answer.frames.size(); i++) {
      if (i) out += ',';
      frame(&answer.frames[i], i + 1 == answer.frames.size() && answer.frames.size() == 1);
    }
  }
  out += "]}\n";
}

}  // namespace nestrr::symbolize
