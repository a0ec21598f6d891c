// Process-local symbolization with libdwfl.
#include "nestrr/replay/symbolize.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "nestrr/eventlog/hex.h"

namespace nestrr::replay {
namespace {

std::string demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || !d) return name;
  std::string out = d;
  std::free(d);
  return out;
}

}  // namespace

struct HostSymbolizer::Impl {
  Dwfl_Callbacks callbacks{};
  char* debuginfo_path = nullptr;
  Dwfl* dwfl = nullptr;
};

HostSymbolizer::HostSymbolizer() : impl_(std::make_unique<Impl>()) {
  impl_->callbacks.find_elf = dwfl_linux_proc_find_elf;
  impl_->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
  impl_->callbacks.debuginfo_path = &impl_->debuginfo_path;
  impl_->dwfl = dwfl_begin(&impl_->callbacks);
  if (!impl_->dwfl) return;
  if (dwfl_linux_proc_report(impl_->dwfl, getpid()) != 0 ||
      dwfl_report_end(impl_->dwfl, nullptr, nullptr) != 0) {
    dwfl_end(impl_->dwfl);
    impl_->dwfl = nullptr;
  }
}

HostSymbolizer::~HostSymbolizer() {
  if (impl_->dwfl) dwfl_end(impl_->dwfl);
}

Symbol HostSymbolizer::return_address(uint64_t address) const {
  if (address == 0) return Symbol{};
  Symbol s = code_address(address - 1);
  s.address = address;
  if (!s.function.empty()) s.offset += 1;
  return s;
}

std::optional<std::pair<uint64_t, uint64_t>> HostSymbolizer::function_range(uint64_t address) const {
  if (!impl_->dwfl) return std::nullopt;
  Dwfl_Module* mod = dwfl_addrmodule(impl_->dwfl, address);
  if (!mod) return std::nullopt;
  GElf_Off off = 0;
  GElf_Sym sym;
  GElf_Addr value = 0;
  if (!dwfl_module_addrinfo(mod, address, &off, &sym, nullptr, nullptr, nullptr) || sym.st_size == 0)
    return std::nullopt;
  value = address - off;
  return std::make_pair(static_cast<uint64_t>(value), static_cast<uint64_t>(value + sym.st_size));
}

Symbol HostSymbolizer::code_address(uint64_t address) const {
  Symbol s;
  s.address = address;
  if (!impl_->dwfl) return s;
  Dwarf_Addr pc = address;
  Dwfl_Module* mod = dwfl_addrmodule(impl_->dwfl, pc);
  if (!mod) return s;
  const char* mname = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                       nullptr);
  if (mname) s.module = std::filesystem::path(mname).filename().string();
  GElf_Off off = 0;
  GElf_Sym sym;
  const char* name = dwfl_module_addrinfo(mod, pc, &off, &sym, nullptr, nullptr, nullptr);
  if (name) {
    s.function = demangle(name);
    s.offset = off;
  }
  if (Dwfl_Line* line = dwfl_module_getsrc(mod, pc)) {
    int lineno = 0;
    const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (file) s.source = std::filesystem::path(file).filename().string() + ":" + std::to_string(lineno);
  }
  return s;
}

std::string HostSymbolizer::describe(const Symbol& s) {
  if (s.function.empty()) return eventlog::hex(s.address) + (s.module.empty() ? "" : " (" + s.module + ")");
  return s.function + "+" + eventlog::hex(s.offset) + (s.source.empty() ? "" : " (" + s.source + ")");
}

}  // namespace nestrr::replay
