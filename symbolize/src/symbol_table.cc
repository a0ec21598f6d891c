// The stretch table of symbol_table.h.
#include "symbol_table.h"

#include <algorithm>
#include <set>

namespace nestrr::symbolize {

namespace {

// libdwfl's preference among symbols starting at the same place.
int binding_rank(const GElf_Sym& s) {
  switch (GELF_ST_BIND(s.st_info)) {
    case STB_GLOBAL: return 3;
    case STB_WEAK: return 2;
    case STB_LOCAL: return 1;
    default: return 0;
  }
}

}  // namespace

SymbolTable::SymbolTable(Dwfl_Module* mod) : mod_(mod) {
  int count = dwfl_module_getsymtab(mod);
  int first_global = dwfl_module_getsymtab_first_global(mod);
  if (count <= 0 || first_global < 0) {
    stretches_.push_back({0});
    return;
  }
  std::vector<uint64_t> bounds{0};
  std::vector<uint64_t> labels;  // size-less globals' addresses
  for (int i = 1; i < count; i++) {
    GElf_Sym sym;
    GElf_Addr value = 0;
    GElf_Word shndx = 0;
    const char* name = dwfl_module_getsym_info(mod, i, &sym, &value, &shndx, nullptr, nullptr);
    if (!name) continue;
    bounds.push_back(value);
    bounds.push_back(value + sym.st_size);
    int type = GELF_ST_TYPE(sym.st_info);
    if (!name[0] || sym.st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE || type == STT_TLS)
      continue;
    bool global = first_global == 0 || i >= first_global;
    if (sym.st_size == 0) {
      if (global) labels.push_back(value);
      continue;
    }
    sym.st_value = value;
    symbols_.push_back({sym, name, i, global});
  }
  // Section bounds: libdwfl matches size-less labels by section.
  GElf_Addr bias = 0;
  if (Elf* elf = dwfl_module_getelf(mod, &bias)) {
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn))) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC)) continue;
      bounds.push_back(sh.sh_addr + bias);
      bounds.push_back(sh.sh_addr + sh.sh_size + bias);
    }
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::sort(labels.begin(), labels.end());

  auto end_of = [this](int k) { return symbols_[k].sym.st_value + symbols_[k].sym.st_size; };
  std::vector<int> by_start(symbols_.size()), by_end(symbols_.size());
  for (size_t i = 0; i < symbols_.size(); i++) by_start[i] = by_end[i] = int(i);
  std::sort(by_start.begin(), by_start.end(),
            [&](int a, int b) { return symbols_[a].sym.st_value < symbols_[b].sym.st_value; });
  std::sort(by_end.begin(), by_end.end(), [&](int a, int b) { return end_of(a) < end_of(b); });
  // Covering symbols in libdwfl's scan order (its symbol index).
  std::set<std::pair<int, int>> active;
  size_t s = 0, e = 0;
  for (uint64_t b : bounds) {
    for (; e < by_end.size() && end_of(by_end[e]) <= b; e++)
      active.erase({symbols_[by_end[e]].index, by_end[e]});
    for (; s < by_start.size() && symbols_[by_start[s]].sym.st_value <= b; s++)
      if (end_of(by_start[s]) > b) active.insert({symbols_[by_start[s]].index, by_start[s]});
    // The globals first, the locals only if no global fits; within a pass
    // a later symbol replaces the pick if it starts higher or binds
    // stronger.
    int best = -1;
    for (bool globals : {true, false}) {
      for (const auto& [index, k] : active) {
        if (symbols_[k].global != globals) continue;
        const GElf_Sym& c = symbols_[k].sym;
        if (best < 0 || symbols_[best].sym.st_value < c.st_value ||
            binding_rank(symbols_[best].sym) < binding_rank(c))
          best = k;
      }
      if (best >= 0) {
        // Equal starts and bindings: libdwfl keeps the first in its order
        // when the sizes agree, and breaks ties otherwise in ways of its
        // own: those stretches are left to it.
        bool tie = false;
        for (const auto& [index, k] : active)
          tie |= symbols_[k].global == globals && symbols_[k].sym.st_value == symbols_[best].sym.st_value &&
                 binding_rank(symbols_[k].sym) == binding_rank(symbols_[best].sym) &&
                 symbols_[k].sym.st_size != symbols_[best].sym.st_size;
        if (tie) best = -1;
        break;
      }
    }
    Stretch st{b, best};
    st.label_at_start = std::binary_search(labels.begin(), labels.end(), b);
    stretches_.push_back(st);
  }
}

const char* SymbolTable::find(uint64_t addr, GElf_Sym* sym) const {
  auto it = std::upper_bound(stretches_.begin(), stretches_.end(), addr,
                             [](uint64_t a, const Stretch& st) { return a < st.start; });
  if (it != stretches_.begin()) {
    const Stretch& st = *std::prev(it);
    const Symbol* pick = st.symbol >= 0 ? &symbols_[st.symbol] : nullptr;
    // A size-less global exactly at the address stops libdwfl's local
    // pass: leave that case, and stretches without a sized pick, to it.
    if (pick && (pick->global || !(st.label_at_start && addr == st.start))) {
      *sym = pick->sym;
      return pick->name;
    }
    // Nothing starts or ends inside a stretch: past its start, libdwfl's
    // answer is the same for every address.
    if (addr != st.start) {
      if (!st.asked) {
        st.name = dwfl_module_addrsym(mod_, addr, &st.sym, nullptr);
        st.asked = true;
      }
      *sym = st.sym;
      return st.name;
    }
  }
  return dwfl_module_addrsym(mod_, addr, sym, nullptr);
}

}  // namespace nestrr::symbolize
