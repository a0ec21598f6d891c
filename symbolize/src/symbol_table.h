// Per-module ELF symbol lookup by address, built once: what
// dwfl_module_addrsym answers, without its scan of the whole symbol table
// per address. Its answer can only change where a symbol or section starts
// or ends, so the table cuts the module at those boundaries and keeps, per
// stretch, the symbol libdwfl's rule picks: among the sized global symbols
// covering the stretch, else among the sized locals. Stretches where the
// pick involves size-less labels, or symbols of different sizes starting
// at the same place, ask libdwfl itself, once per stretch.
#pragma once

#include <elfutils/libdwfl.h>
#include <gelf.h>

#include <cstdint>
#include <vector>

namespace nestrr::symbolize {

class SymbolTable {
 public:
  explicit SymbolTable(Dwfl_Module* mod);
  // The symbol holding runtime address `addr` (st_value at runtime), as
  // dwfl_module_addrsym returns it; nullptr if none.
  const char* find(uint64_t addr, GElf_Sym* sym) const;

 private:
  struct Symbol {
    GElf_Sym sym;  // st_value: the runtime address
    const char* name;
    int index;     // in libdwfl's symbol numbering: its scan order
    bool global;
  };
  struct Stretch {
    uint64_t start;            // up to the next stretch's start
    int symbol = -1;           // index into symbols_; -1: ask libdwfl
    bool label_at_start = false;  // a size-less global starts here
    // libdwfl's answer inside the stretch (past its start), once asked.
    mutable bool asked = false;
    mutable const char* name = nullptr;
    mutable GElf_Sym sym{};
  };
  Dwfl_Module* mod_;
  std::vector<Symbol> symbols_;
  std::vector<Stretch> stretches_;  // ascending start
};

}  // namespace nestrr::symbolize
