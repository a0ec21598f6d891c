// The rows of one compilation unit's DWARF line-number program, in program
// order. libdw's dwarf_getsrclines hands rows sorted by address, which
// loses which sequence a row belongs to: a row at a sequence's end address
// covers nothing, but sorted it lands in the next sequence starting there.
// binutils' answers (and DWARF's) depend on sequences, so the opcodes are
// decoded here; libdw still reads the header's directory and file tables
// (file indices here are the program's, libdw's Dwarf_Files indices).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace nestrr::symbolize {

struct LineProgramRow {
  uint64_t address;
  uint32_t file, line, column, discriminator;
  bool end_sequence;
};

// Decodes the line program at `offset` of `section` (.debug_line bytes),
// calling `row` for each row in order. False if the header or an opcode
// runs off the unit (rows already reported stay reported).
bool decode_line_program(const unsigned char* section, size_t size, uint64_t offset, unsigned address_size,
                         const std::function<void(const LineProgramRow&)>& row);

}  // namespace nestrr::symbolize
