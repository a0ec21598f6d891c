// Printing ElfIndex answers as binutils addr2line prints them (-a -f -i
// -C), or as one llvm-symbolizer JSON object per address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "nestrr/symbolize/elf_index.h"

namespace nestrr::symbolize {

// Demangles names the way addr2line -C does (a version or @plt suffix is
// kept), remembering each answer.
class Demangler {
 public:
  std::string_view operator()(std::string_view name);

 private:
  std::unordered_map<std::string, std::string> cache_;
};

struct GnuFlags {
  bool functions = false;  // -f
  bool inlines = false;    // -i
  bool addresses = false;  // -a
  bool demangle = false;   // -C
};

// Appends addr2line's lines for `address`.
void append_addr2line(std::string& out, uint64_t address, const GnuAnswer& answer, const GnuFlags& flags,
                      Demangler& demangler);

// Appends {"Address":..,"ModuleName":..,"Symbol":[frames, innermost first]}
// and a newline.
void append_llvm_json(std::string& out, uint64_t address, std::string_view module, const GnuAnswer& answer,
                      Demangler& demangler);

}  // namespace nestrr::symbolize
