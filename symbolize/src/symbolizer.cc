// libdwfl-backed symbolization with a per-CU scope index and an address
// cache.
#include "nestrr/symbolize/symbolizer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>

#include "nestrr/eventlog/hex.h"
#include "scope_index.h"
#include "symbol_table.h"

namespace nestrr::symbolize {

std::string demangle(const std::string& name) {
  if (name.size() < 2 || name[0] != '_' || name[1] != 'Z') return name;
  int status = 0;
  char* d = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || !d) return name;
  std::string out(d);
  std::free(d);
  return out;
}

std::string format_loc(const SourceLoc& loc) {
  if (!loc.known()) return "??:0";
  std::string s = loc.file + ":" + std::to_string(loc.line);
  if (loc.column) s += ":" + std::to_string(loc.column);
  return s;
}

std::string AddrInfo::function_offset() const {
  if (symbol.empty()) return eventlog::hex(address);
  if (!symbol_offset) return symbol;
  return symbol + "+" + std::to_string(symbol_offset);
}

std::vector<LogicalFrame> logical_frames(const AddrInfo& info) {
  std::vector<LogicalFrame> out;
  if (info.scopes.empty()) {
    out.push_back({info.symbol.empty() ? std::string("??") : info.symbol, info.loc, false});
    return out;
  }
  SourceLoc loc = info.loc;
  for (const auto& s : info.scopes) {
    out.push_back({s.name, loc, s.inlined});
    loc = s.call;
  }
  return out;
}

struct DwflSession::Impl {
  std::string debuginfo_path;
  char* debuginfo_path_ptr = nullptr;
  Dwfl_Callbacks callbacks{};
  Dwfl* dwfl = nullptr;
  std::vector<std::string> load_errors;
  std::vector<Dwfl_Module*> reported;  // by ModuleSet index, null if not loaded
};

DwflSession::DwflSession(const ModuleSet& modules) : impl_(new Impl) {
  // libdwfl keeps pointers to the callbacks and the path: Impl owns them.
  impl_->debuginfo_path = modules.debuginfo_path();
  impl_->debuginfo_path_ptr = impl_->debuginfo_path.data();
  impl_->callbacks.find_elf = dwfl_build_id_find_elf;
  impl_->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
  impl_->callbacks.section_address = dwfl_offline_section_address;
  impl_->callbacks.debuginfo_path = &impl_->debuginfo_path_ptr;
  impl_->dwfl = dwfl_begin(&impl_->callbacks);
  if (!impl_->dwfl) throw std::runtime_error(std::string("libdwfl: ") + dwfl_errmsg(-1));
  dwfl_report_begin(impl_->dwfl);
  for (const auto& m : modules.modules()) {
    Dwfl_Module* mod = dwfl_report_elf(impl_->dwfl, m.name.c_str(), m.path.c_str(), -1,
                                       m.load_bias, false);
    if (!mod) impl_->load_errors.push_back(m.path.string() + ": " + dwfl_errmsg(-1));
    impl_->reported.push_back(mod);
  }
  dwfl_report_end(impl_->dwfl, nullptr, nullptr);
}

DwflSession::~DwflSession() {
  if (impl_->dwfl) dwfl_end(impl_->dwfl);
}

Dwfl* DwflSession::get() const { return impl_->dwfl; }
const std::vector<std::string>& DwflSession::load_errors() const { return impl_->load_errors; }

int DwflSession::module_index(Dwfl_Module* mod) const {
  for (size_t i = 0; i < impl_->reported.size(); i++)
    if (mod && impl_->reported[i] == mod) return int(i);
  return -1;
}

bool Symbolizer::is_signal_frame(uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_.get(), address);
  if (!mod) return false;
  for (int which = 0; which < 2; which++) {
    Dwarf_Addr bias = 0;
    Dwarf_CFI* cfi = which == 0 ? dwfl_module_eh_cfi(mod, &bias) : dwfl_module_dwarf_cfi(mod, &bias);
    Dwarf_Frame* frame = nullptr;
    if (!cfi || dwarf_cfi_addrframe(cfi, address - bias, &frame) != 0) continue;
    bool signal = false;
    Dwarf_Addr start = 0, end = 0;
    dwarf_frame_info(frame, &start, &end, &signal);
    free(frame);
    return signal;
  }
  return false;
}

struct Symbolizer::Indexes {
  std::map<std::pair<Dwarf*, Dwarf_Off>, std::unique_ptr<ScopeIndex>> by_cu;
  std::map<Dwfl_Module*, std::unique_ptr<SymbolTable>> symbols;
  std::vector<Dwarf_Die> scratch;
};

Symbolizer::Symbolizer(const ModuleSet& modules)
    : modules_(modules), session_(modules_), indexes_(new Indexes) {
  cache_.reserve(1 << 12);
}

Symbolizer::~Symbolizer() = default;

namespace {

std::string attr_string(Dwarf_Die* die, int name) {
  Dwarf_Attribute attr;
  if (!dwarf_attr_integrate(die, name, &attr)) return {};
  const char* s = dwarf_formstring(&attr);
  return s ? s : "";
}

std::string scope_name(Dwarf_Die* die) {
  std::string s = attr_string(die, DW_AT_MIPS_linkage_name);
  if (s.empty()) s = attr_string(die, DW_AT_linkage_name);
  if (s.empty()) {
    const char* n = dwarf_diename(die);
    s = n ? n : "??";
  }
  return s;
}

SourceLoc call_site(Dwarf_Die* die, Dwarf_Die* cudie) {
  SourceLoc loc;
  Dwarf_Attribute attr;
  Dwarf_Word file = 0, line = 0, col = 0;
  if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &file) != 0) return loc;
  dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &line);
  dwarf_formudata(dwarf_attr(die, DW_AT_call_column, &attr), &col);
  Dwarf_Files* files;
  size_t nfiles;
  if (dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && file < nfiles) {
    const char* name = dwarf_filesrc(files, file, nullptr, nullptr);
    if (name) loc.file = name;
    const char* const* dirs;
    size_t ndirs;
    if (name && name[0] != '/' && dwarf_getsrcdirs(files, &dirs, &ndirs) == 0 && ndirs && dirs[0])
      loc.file = std::string(dirs[0]) + "/" + name;
  }
  if (loc.file.empty()) loc.file = "???";
  loc.line = int(line);
  loc.column = int(col);
  return loc;
}

}  // namespace

AddrInfo Symbolizer::compute(uint64_t address, Source source) {
  bool use_index = source != Source::kLibdwReference;
  AddrInfo info;
  info.address = address;
  Dwfl_Module* mod = dwfl_addrmodule(session_.get(), address);
  if (!mod) return info;
  const char* modname = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr,
                                         nullptr, nullptr);
  if (modname) info.module = modname;

  GElf_Sym sym;
  const char* symname = nullptr;
  if (use_index) {
    auto& table = indexes_->symbols[mod];
    if (!table) table = std::make_unique<SymbolTable>(mod);
    symname = table->find(address, &sym);
  } else {
    symname = dwfl_module_addrsym(mod, address, &sym, nullptr);
  }
  if (symname) {
    info.raw_symbol = symname;
    info.symbol = demangle(symname);
    info.symbol_start = sym.st_value;
    info.symbol_offset = address - sym.st_value;
    info.symbol_size = sym.st_size;
  }
  if (source == Source::kElfIndex) {
    // Line and inline chain as addr2line answers them.
    int m = session_.module_index(mod);
    if (ElfIndex* index = m >= 0 ? elf_index(m) : nullptr) {
      GnuAnswer answer;
      index->lookup(address - modules_.modules()[size_t(m)].load_bias, answer);
      if (!answer.frames.empty() && !answer.frames[0].file.empty() && answer.frames[0].line) {
        info.loc.file = answer.frames[0].file;
        info.loc.line = int(answer.frames[0].line);
        info.loc.column = int(answer.frames[0].column);
      }
      if (answer.from_dwarf) {
        for (size_t k = 0; k < answer.frames.size(); k++) {
          Scope s;
          s.raw_name = answer.frames[k].function.empty() ? "??" : std::string(answer.frames[k].function);
          s.name = demangle(s.raw_name);
          s.inlined = k + 1 < answer.frames.size();
          if (s.inlined) {
            const GnuFrame& caller = answer.frames[k + 1];
            if (!caller.file.empty()) s.call.file = caller.file;
            s.call.line = int(caller.line);
            s.call.column = int(caller.column);
          }
          info.scopes.push_back(std::move(s));
        }
        if (!info.scopes.empty() && info.scopes.front().inlined)
          info.inline_context_raw = info.scopes.back().raw_name;
      }
      return info;
    }
  }

  if (Dwfl_Line* line = dwfl_module_getsrc(mod, address)) {
    int lineno = 0, col = 0;
    const char* file = dwfl_lineinfo(line, nullptr, &lineno, &col, nullptr, nullptr);
    if (file) {
      info.loc.file = file;
      if (file[0] != '/') {
        // Relative names are relative to the CU's compilation directory.
        Dwarf_Attribute attr;
        const char* comp_dir = dwarf_formstring(dwarf_attr(dwfl_linecu(line), DW_AT_comp_dir, &attr));
        if (comp_dir) info.loc.file = std::string(comp_dir) + "/" + file;
      }
      info.loc.line = lineno;
      info.loc.column = col;
    }
  }

  Dwarf_Addr bias = 0;
  Dwarf_Die* cudie = dwfl_module_addrdie(mod, address, &bias);
  if (!cudie) return info;
  Dwarf_Addr pc = address - bias;
  std::vector<Dwarf_Die> chain;
  ScopeIndex* index = nullptr;
  if (use_index) {
    auto key = std::make_pair(dwarf_cu_getdwarf(cudie->cu), dwarf_dieoffset(cudie));
    auto& idx = indexes_->by_cu[key];
    if (!idx) idx = std::make_unique<ScopeIndex>(cudie);
    index = idx.get();
    idx->find(pc, chain);
  } else {
    Dwarf_Die* scopes = nullptr;
    int n = dwarf_getscopes(cudie, pc, &scopes);
    for (int i = 0; i < n; i++) {
      int tag = dwarf_tag(&scopes[i]);
      if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram) chain.push_back(scopes[i]);
      if (tag == DW_TAG_subprogram) break;
    }
    std::free(scopes);
  }
  for (auto& die : chain) {
    Scope s;
    s.raw_name = scope_name(&die);
    s.name = demangle(s.raw_name);
    s.inlined = dwarf_tag(&die) == DW_TAG_inlined_subroutine;
    if (s.inlined) s.call = call_site(&die, cudie);
    info.scopes.push_back(std::move(s));
  }
  if (!info.scopes.empty() && info.scopes.front().inlined) {
    // Without an enclosing function, eu-addr2line names the ELF symbol.
    info.inline_context_raw = info.raw_symbol.empty() ? "??" : info.raw_symbol;
    Dwarf_Attribute attr;
    Dwarf_Die origin, outer;
    if (index && dwarf_formref_die(dwarf_attr(&chain.front(), DW_AT_abstract_origin, &attr), &origin) &&
        index->enclosing_function(&origin, &outer))
      info.inline_context_raw = scope_name(&outer);
  }
  return info;
}

const AddrInfo& Symbolizer::lookup(uint64_t address) {
  auto& slot = cache_[address];
  if (!slot) slot = std::make_unique<AddrInfo>(compute(address, Source::kElfIndex));
  return *slot;
}

const AddrInfo& Symbolizer::lookup_transient(uint64_t address) {
  auto cached = cache_.find(address);
  if (cached != cache_.end()) return *cached->second;
  transient_ = compute(address, Source::kElfIndex);
  return transient_;
}

const AddrInfo& Symbolizer::lookup_eu(uint64_t address) {
  transient_ = compute(address, Source::kLibdwIndex);
  return transient_;
}

AddrInfo Symbolizer::lookup_uncached_reference(uint64_t address) {
  return compute(address, Source::kLibdwReference);
}

namespace {

// ModuleSet::debuginfo_path() back into directories (its relative
// entries are libdwfl's "next to the file" searches).
std::vector<std::filesystem::path> debug_dirs_of(const std::string& joined) {
  std::vector<std::filesystem::path> out;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t end = joined.find(':', start);
    if (end == std::string::npos) end = joined.size();
    std::string d = joined.substr(start, end - start);
    if (!d.empty() && d[0] == '/') out.emplace_back(d);
    start = end + 1;
  }
  return out;
}

}  // namespace

ElfIndex* Symbolizer::elf_index(int m) {
  if (indexes_by_module_.size() < modules_.modules().size()) indexes_by_module_.resize(modules_.modules().size());
  auto& slot = indexes_by_module_[size_t(m)];
  if (!slot) {
    try {
      slot = ElfIndex::open(modules_.modules()[size_t(m)].path, debug_dirs_of(modules_.debuginfo_path()));
    } catch (const std::exception&) {
      return nullptr;  // libdwfl read it; no index then, libdw answers
    }
  }
  return slot.get();
}

bool Symbolizer::addr2line_lookup(uint64_t address, GnuAnswer& out, std::string* module) {
  Dwfl_Module* mod = dwfl_addrmodule(session_.get(), address);
  int i = session_.module_index(mod);
  if (i < 0) return false;
  const ElfModule& m = modules_.modules()[size_t(i)];
  if (module) *module = m.name;
  if (sessions_.size() < modules_.modules().size()) sessions_.resize(modules_.modules().size());
  if (!sessions_[size_t(i)]) {
    elf_index(i);
    if (!indexes_by_module_[size_t(i)]) return false;
    sessions_[size_t(i)] = std::make_unique<Addr2lineSession>(indexes_by_module_[size_t(i)]);
  }
  sessions_[size_t(i)]->lookup(address - m.load_bias, out);
  return true;
}

std::string Symbolizer::read_image(uint64_t address, uint64_t n) {
  Dwfl_Module* mod = dwfl_addrmodule(session_.get(), address);
  if (!mod) return {};
  GElf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(mod, &bias);
  if (!elf) return {};
  uint64_t a = address - bias;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS) continue;
    if (a < sh.sh_addr || a >= sh.sh_addr + sh.sh_size) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !data->d_buf) return {};
    uint64_t at = a - sh.sh_addr;
    uint64_t take = std::min<uint64_t>(n, data->d_size - at);
    return std::string(static_cast<const char*>(data->d_buf) + at, take);
  }
  return {};
}

}  // namespace nestrr::symbolize
