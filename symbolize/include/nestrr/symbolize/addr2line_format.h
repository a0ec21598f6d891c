// Text forms of one symbolized address: nestrr's own, the line layouts of
// `eu-addr2line -f -i` and binutils `addr2line` (what the comparison tests
// check against), and llvm-symbolizer's JSON.
#pragma once

#include <string>

#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::symbolize {

// "0x401136 level3+22\n    level3  t.c:12:5\n" : the address, function+offset,
// then one line per logical frame (inlined ones marked).
std::string format_address(const AddrInfo& info);

// The lines `eu-addr2line -f -i` prints for the address (mangled names
// unless `demangled`).
std::string format_eu_addr2line(const AddrInfo& info, bool demangled = false);

// What binutils `addr2line` prints with these of its flags.
struct GnuStyle {
  bool functions = false;  // -f: a function line before each location
  bool inlines = false;    // -i: the inline chain, one caller per level
  bool addresses = false;  // -a: the address first, as 0x%016x
  bool demangle = false;   // -C
};
// "main\nt.c:12\n": no columns; "file:?" for line 0, "??:0" if unknown.
std::string format_addr2line(const AddrInfo& info, const GnuStyle& style);

// One line of `llvm-symbolizer --output-style=JSON`: {"Address", "ModuleName",
// "Symbol": [innermost frame first]}. StartFileName and StartLine (the
// function's declaration) are left empty.
std::string format_llvm_json(const AddrInfo& info, const std::string& module_name, bool demangle);

// "handle_vmxon+631 vmx.c:123", with "[inlined f]" before the line when it
// is in an inlined function: how other commands name a code address. A
// `return_address` (it follows a call) gets the call's line and scopes.
// Empty if no module holds the address.
std::string short_name(Symbolizer& sym, uint64_t address, bool return_address);

}  // namespace nestrr::symbolize
