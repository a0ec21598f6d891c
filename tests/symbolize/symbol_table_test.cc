// The symbol table's answers against libdwfl's own dwfl_module_addrsym,
// at and around every symbol's start and end (where the answer can
// change), on the three binaries the symbolizer is compared on.
#include <gtest/gtest.h>

#include <elfutils/libdwfl.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "nestrr/symbolize/symbolizer.h"
#include "symbol_table.h"

namespace fs = std::filesystem;
namespace ns = nestrr::symbolize;

namespace {

// Each libdwfl answer scans the whole symbol table: probe a spread of
// symbols, not all of them.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kSymbols = 150;  // libdw under ASan is slow
#else
constexpr int kSymbols = 600;
#endif

void CheckAgainstLibdwfl(const fs::path& elf, const std::vector<fs::path>& debug_dirs) {
  if (!fs::exists(elf)) GTEST_SKIP() << elf << " missing";
  ns::ModuleSetOptions mo;
  mo.elf_files = {elf};
  mo.debug_dirs = debug_dirs;
  ns::DwflSession session(ns::ModuleSet::from_files(mo));
  Dwfl_Module* mod = nullptr;
  dwfl_getmodules(
      session.get(),
      [](Dwfl_Module* m, void**, const char*, Dwarf_Addr, void* arg) -> int {
        *static_cast<Dwfl_Module**>(arg) = m;
        return DWARF_CB_ABORT;
      },
      &mod, 0);
  ASSERT_NE(mod, nullptr);
  ns::SymbolTable table(mod);
  std::set<uint64_t> probes;
  int count = dwfl_module_getsymtab(mod);
  ASSERT_GT(count, 1);
  int stride = std::max(1, count / kSymbols);
  for (int i = 1; i < count; i += stride) {
    GElf_Sym sym;
    GElf_Addr value = 0;
    if (!dwfl_module_getsym_info(mod, i, &sym, &value, nullptr, nullptr, nullptr) || !value) continue;
    for (uint64_t a : {value - 1, value, value + 1, value + sym.st_size - 1, value + sym.st_size}) probes.insert(a);
  }
  size_t differ = 0;
  for (uint64_t a : probes) {
    GElf_Sym ours{}, theirs{};
    const char* o = table.find(a, &ours);
    const char* t = dwfl_module_addrsym(mod, a, &theirs, nullptr);
    bool same = (o == nullptr) == (t == nullptr) &&
                (!o || (std::string(o) == t && ours.st_value == theirs.st_value && ours.st_size == theirs.st_size));
    if (!same && differ++ < 5)
      ADD_FAILURE() << std::hex << "0x" << a << ": table " << (o ? o : "(none)") << " at 0x" << ours.st_value
                    << ", libdwfl " << (t ? t : "(none)") << " at 0x" << theirs.st_value;
  }
  EXPECT_EQ(differ, 0u) << "of " << probes.size() << " addresses";
}

TEST(SymbolTable, NestrrBinary) { CheckAgainstLibdwfl(NESTRR_BIN, {}); }
TEST(SymbolTable, DebianLibcWithDebugPackage) {
  CheckAgainstLibdwfl("/lib/x86_64-linux-gnu/libc.so.6", {"/usr/lib/debug"});
}
TEST(SymbolTable, InliningTestProgram) { CheckAgainstLibdwfl(ASSERT_PROGRAM, {}); }

}  // namespace
