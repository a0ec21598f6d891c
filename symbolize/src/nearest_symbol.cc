// The stretch table of nearest_symbol.h.
#include "nearest_symbol.h"

#include <gelf.h>

#include <algorithm>
#include <limits>

namespace nestrr::symbolize {

NearestSymbol::NearestSymbol(Elf* elf, bool dynamic) {
  Elf_Scn* scn = nullptr;
  GElf_Shdr sh;
  while ((scn = elf_nextscn(elf, scn)))
    if (gelf_getshdr(scn, &sh) && sh.sh_type == (dynamic ? SHT_DYNSYM : SHT_SYMTAB)) break;
  if (!scn || !sh.sh_entsize) return;
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data) return;
  size_t count = sh.sh_size / sh.sh_entsize;
  // Which STT_FILE name goes with a symbol: the last one before it, for a
  // local symbol always, for others only while no STT_FILE has followed
  // another kind of symbol (in a linked file: never, for globals).
  enum { kNothingSeen, kSymbolSeen, kFileAfterSymbol } state = kNothingSeen;
  const char* file = nullptr;
  for (size_t i = 1; i < count; i++) {
    GElf_Sym s;
    if (!gelf_getsym(data, int(i), &s)) continue;
    const char* name = elf_strptr(elf, sh.sh_link, s.st_name);
    int type = GELF_ST_TYPE(s.st_info);
    if (type == STT_FILE) {
      file = name;
      if (state == kSymbolSeen) state = kFileAfterSymbol;
      continue;
    }
    if (state == kNothingSeen) state = kSymbolSeen;
    if (!name || type == STT_SECTION || type == STT_OBJECT || type == STT_COMMON || type == STT_TLS) continue;
    if (s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE) continue;
    bool local = GELF_ST_BIND(s.st_info) == STB_LOCAL;
    // Hidden local size-less NOTYPE symbols are annotation markers.
    if (s.st_size == 0 && local && type == STT_NOTYPE && GELF_ST_VISIBILITY(s.st_other) == STV_HIDDEN) continue;
    symbols_.push_back({s.st_value, s.st_size ? s.st_size : 1, name,
                        (file && (local || state != kFileAfterSymbol)) ? file : nullptr, s.st_shndx,
                        uint32_t(i), type == STT_FUNC || type == STT_GNU_IFUNC, type == STT_NOTYPE});
  }
  std::sort(symbols_.begin(), symbols_.end(), [](const Symbol& a, const Symbol& b) {
    if (a.section != b.section) return a.section < b.section;
    if (a.value != b.value) return a.value < b.value;
    return a.order < b.order;
  });
  // The nearest start at or below an address wins; among the symbols
  // starting there the pick changes only where one of them ends.
  for (size_t g = 0; g < symbols_.size();) {
    size_t end = g;
    while (end < symbols_.size() && symbols_[end].section == symbols_[g].section &&
           symbols_[end].value == symbols_[g].value)
      end++;
    uint64_t start = symbols_[g].value;
    uint64_t limit = end < symbols_.size() && symbols_[end].section == symbols_[g].section
                         ? symbols_[end].value
                         : std::numeric_limits<uint64_t>::max();
    std::vector<uint64_t> points{start};
    for (size_t k = g; k < end; k++) {
      uint64_t stop = start + symbols_[k].size;
      if (stop > start && stop < limit) points.push_back(stop);
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    for (uint64_t at : points) {
      size_t best = g;
      for (size_t k = g + 1; k < end; k++) {
        const Symbol& b = symbols_[best];
        const Symbol& c = symbols_[k];
        if (start + b.size <= at) {
          if (c.size > b.size) best = k;
          continue;
        }
        if (start + c.size <= at) continue;
        if (b.function != c.function) {
          if (c.function) best = k;
          continue;
        }
        if (b.notype != c.notype) {
          if (b.notype) best = k;
          continue;
        }
        if (c.size < b.size) best = k;
      }
      if (stretches_.empty() || stretches_.back().section != symbols_[g].section ||
          stretches_.back().symbol != int32_t(best))
        stretches_.push_back({symbols_[g].section, at, int32_t(best)});
    }
    g = end;
  }
}

bool NearestSymbol::find(unsigned section, uint64_t address, Hit& out) const {
  auto it = std::upper_bound(stretches_.begin(), stretches_.end(), std::make_pair(section, address),
                             [](const std::pair<unsigned, uint64_t>& k, const Stretch& s) {
                               return k.first != s.section ? k.first < s.section : k.second < s.start;
                             });
  if (it == stretches_.begin()) return false;
  --it;
  if (it->section != section || it->symbol < 0) return false;
  const Symbol& s = symbols_[size_t(it->symbol)];
  out = {s.name, s.value, s.file};
  return true;
}

}  // namespace nestrr::symbolize
