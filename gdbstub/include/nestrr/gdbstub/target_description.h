// The x86 register descriptions gdb expects (the standard features
// org.gnu.gdb.i386.core, .sse and, 64-bit, .segments with fs_base and
// gs_base), two of nestrr's own (org.nestrr.system: cr0, cr2, cr3, cr4,
// efer as QEMU's gdbstub names them; org.nestrr.vmx: the CPU's VMX state),
// and the register file layout of the `g` packet they imply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nestrr/gdbstub/target.h"

namespace nestrr::gdbstub {

struct RegisterDesc {
  std::string name;
  uint32_t bits = 0;
  std::string type;     // gdb type name
  int general = -1;     // index into CpuRegisters, -1: never known
  std::string feature;  // the target.xml feature it belongs to
  std::string group;    // gdb register group ("" for the default)
};

const std::vector<RegisterDesc>& register_layout(Arch arch);
// target.xml for qXfer:features:read.
const std::string& target_xml(Arch arch);
// The `g` reply: every register in layout order, unknown ones as "xx".
std::string encode_registers(Arch arch, const CpuRegisters& regs);
// One register for `p`; empty string for an unknown register number.
std::string encode_register(Arch arch, const CpuRegisters& regs, uint32_t regno);

}  // namespace nestrr::gdbstub
