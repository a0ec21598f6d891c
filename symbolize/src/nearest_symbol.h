// The ELF symbol addr2line names an address by when DWARF names no
// function there: the nearest symbol at or below the address in the same
// section, sizes only breaking ties (so padding after a function's last
// instruction still belongs to it). Among symbols starting at the same
// place: one that reaches the address over one that does not, a function
// over other types, a typed symbol over a NOTYPE one, then the smaller,
// then the first in the table. Also the STT_FILE name before the symbol,
// which addr2line prints as the file when no line row holds the address.
// Built once per symbol table into sorted stretches per section.
#pragma once

#include <libelf.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace nestrr::symbolize {

class NearestSymbol {
 public:
  // From `elf`'s SHT_SYMTAB, or its SHT_DYNSYM when `dynamic`.
  NearestSymbol(Elf* elf, bool dynamic);
  NearestSymbol() = default;

  struct Hit {
    const char* name = nullptr;
    uint64_t value = 0;
    const char* file = nullptr;  // STT_FILE name addr2line would print, or null
  };
  // The symbol for `address` in section `section` (a section index of the
  // table's file); false if none.
  bool find(unsigned section, uint64_t address, Hit& out) const;
  bool empty() const { return symbols_.empty(); }

 private:
  struct Symbol {
    uint64_t value, size;  // size 0 counts as 1
    const char* name;
    const char* file;
    unsigned section;
    uint32_t order;  // index in the table
    bool function, notype;
  };
  struct Stretch {
    unsigned section;
    uint64_t start;
    int32_t symbol;  // index into symbols_, -1: none
  };
  std::vector<Symbol> symbols_;
  std::vector<Stretch> stretches_;  // by (section, start)
};

}  // namespace nestrr::symbolize
