// Host symbols for code addresses of this process (libdwfl: ELF symbol
// tables, so static functions too, and DWARF line tables when present).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <string>

namespace nestrr::replay {

struct Symbol {
  uint64_t address = 0;
  std::string function;  // demangled; "" if unknown
  uint64_t offset = 0;   // address - function start
  std::string module;    // file name of the ELF image
  std::string source;    // "vmx_insn.c:78", "" without line info
};

class HostSymbolizer {
 public:
  HostSymbolizer();
  ~HostSymbolizer();
  HostSymbolizer(const HostSymbolizer&) = delete;
  HostSymbolizer& operator=(const HostSymbolizer&) = delete;

  // A return address: looked up at address - 1 (the call instruction).
  Symbol return_address(uint64_t address) const;
  // Any code address, looked up as it is.
  Symbol code_address(uint64_t address) const;
  // [start, end) of the ELF symbol (function) holding `address`; nullopt
  // when no sized symbol does.
  std::optional<std::pair<uint64_t, uint64_t>> function_range(uint64_t address) const;
  // "handle_vmxon+0x5a (vmx_insn.c:78)" or "0x55d0c0ffee (libfoo.so)".
  static std::string describe(const Symbol& s);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nestrr::replay
