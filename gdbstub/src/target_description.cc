// x86-64 and i386 target descriptions (target_description.h). The register
// names, sizes and order follow gdb's documented standard features so that
// gdb's i386/amd64 architecture code accepts them.
#include "nestrr/gdbstub/target_description.h"

#include "nestrr/gdbstub/packet.h"

namespace nestrr::gdbstub {
namespace {

constexpr const char* kCore = "org.gnu.gdb.i386.core";
constexpr const char* kSse = "org.gnu.gdb.i386.sse";
constexpr const char* kSegments = "org.gnu.gdb.i386.segments";
constexpr const char* kSystem = "org.nestrr.system";
constexpr const char* kVmx = "org.nestrr.vmx";

std::vector<RegisterDesc> build_layout(Arch arch) {
  std::vector<RegisterDesc> r;
  const bool wide = arch == Arch::kX86_64;
  const char* feature = kCore;
  auto add = [&](std::string name, uint32_t bits, std::string type, int general = -1,
                 std::string group = {}) {
    r.push_back({std::move(name), bits, std::move(type), general, feature, std::move(group)});
  };
  if (wide) {
    const char* names[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                           "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    for (int i = 0; i < 16; ++i)
      add(names[i], 64, i == kRbp ? "data_ptr" : i == kRsp ? "data_ptr" : "int64", i);
    add("rip", 64, "code_ptr", kRip);
  } else {
    // gdb's i386 order: eax ecx edx ebx esp ebp esi edi.
    struct { const char* n; int g; } order[] = {{"eax", kRax}, {"ecx", kRcx}, {"edx", kRdx},
                                                {"ebx", kRbx}, {"esp", kRsp}, {"ebp", kRbp},
                                                {"esi", kRsi}, {"edi", kRdi}};
    for (auto& o : order) add(o.n, 32, o.g == kRsp || o.g == kRbp ? "data_ptr" : "int32", o.g);
    add("eip", 32, "code_ptr", kRip);
  }
  add("eflags", 32, "i386_eflags", kEflags);
  const char* segs[] = {"cs", "ss", "ds", "es", "fs", "gs"};
  for (int i = 0; i < 6; ++i) add(segs[i], 32, "int32", kCs + i);
  for (int i = 0; i < 8; ++i) add("st" + std::to_string(i), 80, "i387_ext", -1, "float");
  for (const char* n : {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"})
    add(n, 32, "int", -1, "float");
  feature = kSse;
  for (int i = 0; i < (wide ? 16 : 8); ++i) add("xmm" + std::to_string(i), 128, "vec128", -1, "vector");
  add("mxcsr", 32, "i386_mxcsr", -1, "vector");
  if (wide) {
    feature = kSegments;
    add("fs_base", 64, "int", kFsBase, "system");
    add("gs_base", 64, "int", kGsBase, "system");
  }
  feature = kSystem;
  for (auto [n, g] : {std::pair{"cr0", kCr0}, {"cr2", kCr2}, {"cr3", kCr3}, {"cr4", kCr4}})
    add(n, wide ? 64 : 32, "int", g, "system");
  add("efer", 64, "int", kEfer, "system");
  feature = kVmx;
  add("vmx_operation", 32, "int", kVmxOperation, "vmx");
  add("vmx_root", 32, "int", kVmxRoot, "vmx");
  add("vmx_mode", 32, "int", kVmxMode, "vmx");
  add("vmcs12", 64, "data_ptr", kVmcs12, "vmx");
  add("in_nmi", 32, "int", kInNmi, "vmx");
  return r;
}

constexpr const char* kSseTypes =
    "<vector id=\"v8bf16\" type=\"bfloat16\" count=\"8\"/>\n"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    "<union id=\"vec128\"><field name=\"v8_bfloat16\" type=\"v8bf16\"/>"
    "<field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
    "<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
    "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
    "<field name=\"uint128\" type=\"uint128\"/></union>\n"
    "<flags id=\"i386_mxcsr\" size=\"4\"><field name=\"IE\" start=\"0\" end=\"0\"/>"
    "<field name=\"DE\" start=\"1\" end=\"1\"/><field name=\"ZE\" start=\"2\" end=\"2\"/>"
    "<field name=\"OE\" start=\"3\" end=\"3\"/><field name=\"UE\" start=\"4\" end=\"4\"/>"
    "<field name=\"PE\" start=\"5\" end=\"5\"/><field name=\"DAZ\" start=\"6\" end=\"6\"/>"
    "<field name=\"IM\" start=\"7\" end=\"7\"/><field name=\"DM\" start=\"8\" end=\"8\"/>"
    "<field name=\"ZM\" start=\"9\" end=\"9\"/><field name=\"OM\" start=\"10\" end=\"10\"/>"
    "<field name=\"UM\" start=\"11\" end=\"11\"/><field name=\"PM\" start=\"12\" end=\"12\"/>"
    "<field name=\"FZ\" start=\"15\" end=\"15\"/></flags>\n";

std::string eflags_type() {
  std::string x = "<flags id=\"i386_eflags\" size=\"4\">\n";
  const char* eflags[][2] = {{"CF", "0"},  {"", "1"},    {"PF", "2"},  {"AF", "4"},   {"ZF", "6"},
                             {"SF", "7"},  {"TF", "8"},  {"IF", "9"},  {"DF", "10"},  {"OF", "11"},
                             {"NT", "14"}, {"RF", "16"}, {"VM", "17"}, {"AC", "18"},  {"VIF", "19"},
                             {"VIP", "20"}, {"ID", "21"}};
  for (auto& f : eflags)
    x += std::string("<field name=\"") + f[0] + "\" start=\"" + f[1] + "\" end=\"" + f[1] + "\"/>\n";
  return x + "</flags>\n";
}

std::string build_xml(Arch arch) {
  const bool wide = arch == Arch::kX86_64;
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n";
  x += wide ? "<architecture>i386:x86-64</architecture>\n" : "<architecture>i386</architecture>\n";
  x += "<osabi>GNU/Linux</osabi>\n";
  int regnum = 0;
  std::string open;
  for (const RegisterDesc& r : register_layout(arch)) {
    if (r.feature != open) {
      if (!open.empty()) x += "</feature>\n";
      x += "<feature name=\"" + r.feature + "\">\n";
      if (r.feature == kCore) x += eflags_type();
      if (r.feature == kSse) x += kSseTypes;
      open = r.feature;
    }
    x += "<reg name=\"" + r.name + "\" bitsize=\"" + std::to_string(r.bits) + "\" type=\"" + r.type +
         "\" regnum=\"" + std::to_string(regnum++) + "\"";
    if (!r.group.empty()) x += " group=\"" + r.group + "\"";
    x += "/>\n";
  }
  x += "</feature>\n</target>\n";
  return x;
}

}  // namespace

const std::vector<RegisterDesc>& register_layout(Arch arch) {
  static const std::vector<RegisterDesc> wide = build_layout(Arch::kX86_64);
  static const std::vector<RegisterDesc> narrow = build_layout(Arch::kI386);
  return arch == Arch::kX86_64 ? wide : narrow;
}

const std::string& target_xml(Arch arch) {
  static const std::string wide = build_xml(Arch::kX86_64);
  static const std::string narrow = build_xml(Arch::kI386);
  return arch == Arch::kX86_64 ? wide : narrow;
}

std::string encode_register(Arch arch, const CpuRegisters& regs, uint32_t regno) {
  const auto& layout = register_layout(arch);
  if (regno >= layout.size()) return {};
  const RegisterDesc& r = layout[regno];
  const size_t bytes = r.bits / 8;
  if (r.general >= 0 && regs.value[static_cast<size_t>(r.general)])
    return hex_le(*regs.value[static_cast<size_t>(r.general)], bytes);
  return std::string(bytes * 2, 'x');
}

std::string encode_registers(Arch arch, const CpuRegisters& regs) {
  std::string out;
  const auto& layout = register_layout(arch);
  for (uint32_t i = 0; i < layout.size(); ++i) out += encode_register(arch, regs, i);
  return out;
}

}  // namespace nestrr::gdbstub
