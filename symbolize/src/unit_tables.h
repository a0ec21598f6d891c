// One compilation unit's line rows and function ranges as flat sorted
// arrays, read once (DIEs and file tables with libdw, the line program's
// opcodes with line_program.h) and shaped by binutils' rules:
//  - line rows: per sequence, a row holds from its address to the next
//    row's; of rows at one address the last counts; a sequence that
//    starts inside an earlier one is cut to start where that one ends,
//    or dropped if it lies wholly inside it;
//  - functions (subprograms, inlined calls, entry points): the one whose
//    single range holding the address is smallest, the later one in DIE
//    order on a tie; an inlined call's caller is the nearest enclosing
//    function DIE;
//  - file names: the CU's directory joined to relative names.
#pragma once

#include <elfutils/libdw.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nestrr::symbolize {

struct UnitFunction {
  const char* name = nullptr;  // linkage name if any (through abstract
                               // origins and specifications), else DW_AT_name
  uint64_t low = 0;            // start of its first range
  int32_t caller = -1;         // enclosing function, for an inlined call
  uint32_t call_file = 0;      // index into UnitTables::files, kNoFile if none
  uint32_t call_line = 0;
  uint32_t call_column = 0;
  bool is_linkage = false;     // name is a linkage name (or a C-like language's)
  bool inlined = false;
};

struct UnitRow {
  uint32_t file;  // kNoFile: no row holds the address
  uint32_t line;
  uint32_t column;
  uint32_t discriminator;
};

constexpr uint32_t kNoFile = ~0u;

class UnitTables {
 public:
  // Reads the CU (`line_section`: the .debug_line bytes); a CU that
  // cannot be read gives empty tables.
  UnitTables(Dwarf_Die* cudie, int dwarf_version, const unsigned char* line_section, size_t line_size);

  // The row holding `pc`, false if none.
  bool row_at(uint64_t pc, UnitRow& out) const;
  // The innermost function holding `pc`, -1 if none.
  int32_t function_at(uint64_t pc) const;

  const UnitFunction& function(int32_t i) const { return functions_[size_t(i)]; }
  const std::string& file(uint32_t i) const { return files_[i]; }
  bool empty() const { return row_starts_.empty() && span_starts_.empty(); }

 private:
  void read_files(Dwarf_Die* cudie, int dwarf_version);
  void read_lines(Dwarf_Die* cudie, const unsigned char* line_section, size_t line_size);
  void read_functions(Dwarf_Die* cudie);

  std::vector<std::string> files_;
  std::vector<uint64_t> row_starts_;
  std::vector<UnitRow> rows_;
  std::vector<UnitFunction> functions_;
  std::vector<uint64_t> span_starts_;
  std::vector<int32_t> span_functions_;
};

}  // namespace nestrr::symbolize
