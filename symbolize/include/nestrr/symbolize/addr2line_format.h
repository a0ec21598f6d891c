// Text forms of one symbolized address: nestrr's own and the line layout
// of `eu-addr2line -f -i` (what the eu-addr2line comparison checks).
// binutils addr2line's and llvm-symbolizer's forms are in gnu_format.h.
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

// "handle_vmxon+631 vmx.c:123", with "[inlined f]" before the line when it
// is in an inlined function: how other commands name a code address. A
// `return_address` (it follows a call) gets the call's line and scopes.
// Empty if no module holds the address.
std::string short_name(Symbolizer& sym, uint64_t address, bool return_address);

}  // namespace nestrr::symbolize
