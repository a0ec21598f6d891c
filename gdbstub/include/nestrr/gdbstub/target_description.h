// The standard x86 register descriptions gdb expects (features
// org.gnu.gdb.i386.core and .sse, 64-bit or 32-bit), and the register file
// layout of the `g` packet they imply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nestrr/gdbstub/target.h"

namespace nestrr::gdbstub {

struct RegisterDesc {
  std::string name;
  uint32_t bits = 0;
  std::string type;   // gdb type name
  int general = -1;   // index into CpuRegisters, -1: never known
};

const std::vector<RegisterDesc>& register_layout(Arch arch);
// target.xml for qXfer:features:read.
const std::string& target_xml(Arch arch);
// The `g` reply: every register in layout order, unknown ones as "xx".
std::string encode_registers(Arch arch, const CpuRegisters& regs);
// One register for `p`; empty string for an unknown register number.
std::string encode_register(Arch arch, const CpuRegisters& regs, uint32_t regno);

}  // namespace nestrr::gdbstub
