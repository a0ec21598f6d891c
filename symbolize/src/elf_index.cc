// ElfIndex: finding the DWARF, the compilation unit map, lazy per-unit
// tables, and addr2line's order of questions for one address.
#include "nestrr/symbolize/elf_index.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "debug_image.h"
#include "nestrr/eventlog/hex.h"
#include "nearest_symbol.h"
#include "unit_tables.h"

namespace nestrr::symbolize {

namespace fs = std::filesystem;

namespace {

// An ELF file open for reading, mapped.
struct ElfFile {
  int fd = -1;
  Elf* elf = nullptr;
  fs::path path;

  static std::unique_ptr<ElfFile> open(const fs::path& p) {
    elf_version(EV_CURRENT);
    auto f = std::make_unique<ElfFile>();
    f->path = p;
    f->fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) return nullptr;
    f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, nullptr);
    if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) return nullptr;
    return f;
  }
  ~ElfFile() {
    if (elf) elf_end(elf);
    if (fd >= 0) ::close(fd);
  }

  std::string build_id() const {
    const void* id = nullptr;
    ssize_t n = dwelf_elf_gnu_build_id(elf, &id);
    return n > 0 ? std::string(static_cast<const char*>(id), size_t(n)) : std::string();
  }

  bool has_section(const char* name, bool with_contents) const {
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0) return false;
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn))) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      const char* n = elf_strptr(elf, shstrndx, sh.sh_name);
      if (n && std::strcmp(n, name) == 0) return !with_contents || (sh.sh_type != SHT_NOBITS && sh.sh_size);
    }
    return false;
  }
};


// The separate debug file of `main`: DIR/.build-id/xx/rest.debug, else
// the .gnu_debuglink name next to the file, in its .debug/, or under a
// debug directory; a candidate with another build-id is skipped.
std::unique_ptr<ElfFile> find_debug_file(const ElfFile& main, const std::string& id,
                                         const std::vector<fs::path>& dirs) {
  auto accept = [&](const fs::path& p) -> std::unique_ptr<ElfFile> {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return nullptr;
    auto f = ElfFile::open(p);
    if (!f) return nullptr;
    std::string other = f->build_id();
    if (!id.empty() && !other.empty() && other != id) return nullptr;
    return f;
  };
  if (id.size() >= 2) {
    std::string h = eventlog::hex_bytes(id);
    for (const auto& d : dirs)
      if (auto f = accept(d / ".build-id" / h.substr(0, 2) / (h.substr(2) + ".debug"))) return f;
  }
  GElf_Word crc = 0;
  const char* link = dwelf_elf_gnu_debuglink(main.elf, &crc);
  if (link && *link) {
    std::error_code ec;
    fs::path dir = fs::absolute(main.path, ec).parent_path();
    for (const fs::path& p : {dir / link, dir / ".debug" / link})
      if (auto f = accept(p)) return f;
    for (const auto& d : dirs)
      if (auto f = accept(d / dir.relative_path() / link)) return f;
  }
  return nullptr;
}

struct Section {
  uint64_t addr, size;
  unsigned index;
  std::string name;
};

std::vector<Section> alloc_sections(Elf* elf) {
  std::vector<Section> out;
  size_t shstrndx = 0;
  elf_getshdrstrndx(elf, &shstrndx);
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || !sh.sh_size) continue;
    const char* n = elf_strptr(elf, shstrndx, sh.sh_name);
    out.push_back({sh.sh_addr, sh.sh_size, unsigned(elf_ndxscn(scn)), n ? n : ""});
  }
  return out;
}

bool has_symbols(Elf* elf, unsigned type) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn))) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) && sh.sh_type == type && sh.sh_entsize && sh.sh_size / sh.sh_entsize > 1)
      return true;
  }
  return false;
}

}  // namespace

struct ElfIndex::Impl {
  std::unique_ptr<ElfFile> main, debug;
  std::unique_ptr<DebugImage> image;  // the DWARF inflated, if compressed
  std::string build_id;
  std::string dwarf_error;
  Dwarf* dwarf = nullptr;
  const unsigned char* line_section = nullptr;  // .debug_line of the DWARF's ELF
  size_t line_size = 0;
  std::vector<Section> sections;  // of the main file, in header order
  // Symbols addr2line falls back to: those of the file with the DWARF
  // (with its section of the same index and name), and the main file's.
  NearestSymbol dwarf_symbols, main_symbols;
  bool dwarf_symbols_separate = false;
  std::vector<bool> same_section_in_debug;  // by section index

  struct Unit {
    Dwarf_Off die_offset;
    int version;
    std::atomic<UnitTables*> tables{nullptr};
  };
  std::vector<std::unique_ptr<Unit>> units;
  std::vector<std::unique_ptr<UnitTables>> owned;
  // Units by address: elementary stretches with the units whose DIE
  // ranges hold them (by unit order), then units without ranges.
  std::vector<uint64_t> map_starts;
  std::vector<uint32_t> map_first;  // into map_units, map_first.size() == map_starts.size() + 1
  std::vector<uint32_t> map_units;
  std::vector<uint32_t> unranged;
  mutable std::mutex build_mutex;

  ~Impl() {
    if (dwarf) dwarf_end(dwarf);
  }

  const Section* section_of(uint64_t a) const {
    for (const auto& s : sections)
      if (a >= s.addr && a - s.addr < s.size) return &s;
    return nullptr;
  }

  void read_units();
  const UnitTables& tables(uint32_t u) const;
  // The unit, row and function DWARF gives for `a`, binutils' way: the
  // first unit (in .debug_info order) with a row or a function there.
  bool dwarf_find(uint64_t a, uint32_t& unit, UnitRow& row, bool& have_row, int32_t& function) const;
  bool symbol_for_dwarf(const Section& s, uint64_t a, NearestSymbol::Hit& hit) const {
    if (dwarf_symbols_separate && s.index < same_section_in_debug.size() && same_section_in_debug[s.index])
      return dwarf_symbols.find(s.index, a, hit);
    return main_symbols.find(s.index, a, hit);
  }
  // The stateless name of a function: its DWARF name (linkage name if
  // any), else the ELF symbol starting where it starts.
  const char* settled_name(const UnitFunction& f) const {
    if (f.name) return f.name;
    if (const Section* s = section_of(f.low)) {
      NearestSymbol::Hit hit;
      if (symbol_for_dwarf(*s, f.low, hit) && hit.value == f.low) return hit.name;
    }
    return nullptr;
  }
};

void ElfIndex::Impl::read_units() {
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version = 0;
  uint8_t unit_type = 0;
  Dwarf_Die cudie, subdie;
  struct Entry {
    uint64_t low, high;
    uint32_t unit;
  };
  std::vector<Entry> entries;
  while (dwarf_get_units(dwarf, cu, &next, &version, &unit_type, &cudie, &subdie) == 0) {
    cu = next;
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
    if (dwarf_tag(&cudie) != DW_TAG_compile_unit) continue;
    auto u = std::make_unique<Unit>();
    u->die_offset = dwarf_dieoffset(&cudie);
    u->version = version;
    uint32_t index = uint32_t(units.size());
    units.push_back(std::move(u));
    Dwarf_Addr base = 0, start = 0, end = 0;
    ptrdiff_t off = 0;
    bool any = false;
    while ((off = dwarf_ranges(&cudie, off, &base, &start, &end)) > 0)
      if (end > start) {
        entries.push_back({start, end, index});
        any = true;
      }
    if (!any) unranged.push_back(index);
  }
  std::vector<uint64_t> points;
  for (auto& e : entries) {
    points.push_back(e.low);
    points.push_back(e.high);
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.low < b.low; });
  std::vector<Entry> active;
  size_t nx = 0;
  map_first.push_back(0);
  for (uint64_t p : points) {
    while (nx < entries.size() && entries[nx].low <= p) active.push_back(entries[nx++]);
    active.erase(std::remove_if(active.begin(), active.end(), [p](const Entry& e) { return e.high <= p; }),
                 active.end());
    std::vector<uint32_t> here;
    for (auto& e : active) here.push_back(e.unit);
    std::sort(here.begin(), here.end());
    here.erase(std::unique(here.begin(), here.end()), here.end());
    map_starts.push_back(p);
    map_units.insert(map_units.end(), here.begin(), here.end());
    map_first.push_back(uint32_t(map_units.size()));
  }
}

const UnitTables& ElfIndex::Impl::tables(uint32_t u) const {
  Unit& unit = *units[u];
  if (UnitTables* t = unit.tables.load(std::memory_order_acquire)) return *t;
  std::lock_guard<std::mutex> lock(build_mutex);
  if (UnitTables* t = unit.tables.load(std::memory_order_relaxed)) return *t;
  Dwarf_Die cudie;
  auto* self = const_cast<Impl*>(this);
  std::unique_ptr<UnitTables> t;
  if (dwarf_offdie(dwarf, unit.die_offset, &cudie))
    t = std::make_unique<UnitTables>(&cudie, unit.version, line_section, line_size);
  else
    t = std::make_unique<UnitTables>(nullptr, unit.version, nullptr, 0);
  UnitTables* raw = t.get();
  self->owned.push_back(std::move(t));
  unit.tables.store(raw, std::memory_order_release);
  return *raw;
}

bool ElfIndex::Impl::dwarf_find(uint64_t a, uint32_t& unit, UnitRow& row, bool& have_row,
                                int32_t& function) const {
  auto try_unit = [&](uint32_t u) {
    const UnitTables& t = tables(u);
    have_row = t.row_at(a, row);
    function = t.function_at(a);
    unit = u;
    return have_row || function >= 0;
  };
  auto it = std::upper_bound(map_starts.begin(), map_starts.end(), a);
  if (it != map_starts.begin()) {
    size_t k = size_t(it - map_starts.begin()) - 1;
    for (uint32_t i = map_first[k]; i < map_first[k + 1]; i++)
      if (try_unit(map_units[i])) return true;
  }
  for (uint32_t u : unranged)
    if (try_unit(u)) return true;
  have_row = false;
  function = -1;
  return false;
}

ElfIndex::ElfIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ElfIndex::~ElfIndex() = default;

const fs::path& ElfIndex::path() const { return impl_->main->path; }
const std::string& ElfIndex::build_id() const { return impl_->build_id; }
bool ElfIndex::has_dwarf() const { return impl_->dwarf != nullptr; }
const std::string& ElfIndex::dwarf_error() const { return impl_->dwarf_error; }

std::shared_ptr<ElfIndex> ElfIndex::open(const fs::path& path, const std::vector<fs::path>& debug_dirs) {
  auto main = ElfFile::open(path);
  if (!main) throw std::runtime_error(path.string() + " is not a readable ELF file");
  std::string id = main->build_id();
  std::string key = id.empty() ? "path:" + fs::absolute(path).string() : "id:" + eventlog::hex_bytes(id);
  for (const auto& d : debug_dirs) key += "|" + d.string();

  static std::mutex cache_mutex;
  static std::map<std::string, std::weak_ptr<ElfIndex>> cache;
  std::lock_guard<std::mutex> lock(cache_mutex);
  if (auto hit = cache[key].lock()) return hit;

  auto impl = std::make_unique<Impl>();
  impl->build_id = id;
  impl->sections = alloc_sections(main->elf);
  bool main_has_symtab = has_symbols(main->elf, SHT_SYMTAB);
  impl->main_symbols = NearestSymbol(main->elf, !main_has_symtab);
  Elf* dwarf_elf = nullptr;
  if (main->has_section(".debug_info", true)) {
    dwarf_elf = main->elf;
  } else {
    std::vector<fs::path> dirs = debug_dirs;
    if (dirs.empty()) dirs.push_back("/usr/lib/debug");
    impl->debug = find_debug_file(*main, id, dirs);
    if (impl->debug && impl->debug->has_section(".debug_info", true)) {
      dwarf_elf = impl->debug->elf;
      impl->dwarf_symbols = NearestSymbol(impl->debug->elf, false);
      impl->dwarf_symbols_separate = true;
      // Sections correspond by position and name.
      size_t main_str = 0, dbg_str = 0;
      elf_getshdrstrndx(main->elf, &main_str);
      elf_getshdrstrndx(impl->debug->elf, &dbg_str);
      Elf_Scn* scn = nullptr;
      while ((scn = elf_nextscn(main->elf, scn))) {
        size_t i = elf_ndxscn(scn);
        Elf_Scn* other = elf_getscn(impl->debug->elf, i);
        GElf_Shdr a, b;
        bool same = other && gelf_getshdr(scn, &a) && gelf_getshdr(other, &b) &&
                    std::strcmp(elf_strptr(main->elf, main_str, a.sh_name) ?: "",
                                elf_strptr(impl->debug->elf, dbg_str, b.sh_name) ?: "-") == 0;
        if (impl->same_section_in_debug.size() <= i) impl->same_section_in_debug.resize(i + 1);
        impl->same_section_in_debug[i] = same;
      }
    } else {
      impl->debug.reset();
      impl->dwarf_error = "no DWARF in the file and no separate debug file found";
    }
  }
  if (dwarf_elf) {
    impl->image = DebugImage::decompress(dwarf_elf);
    impl->dwarf = dwarf_begin_elf(impl->image ? impl->image->elf() : dwarf_elf, DWARF_C_READ, nullptr);
    if (!impl->dwarf) {
      impl->dwarf_error = std::string("libdw: ") + dwarf_errmsg(-1);
    } else {
      // The line programs' bytes, as libdw reads them (inflated).
      Elf* e = dwarf_getelf(impl->dwarf);
      size_t shstrndx = 0;
      elf_getshdrstrndx(e, &shstrndx);
      Elf_Scn* scn = nullptr;
      while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        const char* name = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : nullptr;
        if (!name || std::strcmp(name, ".debug_line") != 0) continue;
        if (Elf_Data* d = elf_getdata(scn, nullptr)) {
          impl->line_section = static_cast<const unsigned char*>(d->d_buf);
          impl->line_size = d->d_size;
        }
        break;
      }
      impl->read_units();
    }
  }
  impl->main = std::move(main);
  std::shared_ptr<ElfIndex> index(new ElfIndex(std::move(impl)));
  cache[key] = index;
  return index;
}

// Per-session names of functions without a linkage name (see the header).
struct Addr2lineSession::State {
  std::unordered_map<uint64_t, const char*> renamed;
  std::unordered_set<uint64_t> settled;
  static uint64_t key(uint32_t unit, int32_t fn) { return uint64_t(unit) << 32 | uint32_t(fn); }
};

namespace {

// addr2line's questions for one address, in its order. `state` null: the
// settled names.
void answer(const ElfIndex::Impl& x, uint64_t a, GnuAnswer& out, Addr2lineSession::State* state) {
  out.found = false;
  out.discriminator = 0;
  out.frames.clear();
  out.function_start = 0;
  out.from_dwarf = false;
  const Section* sec = x.section_of(a);
  if (!sec) return;
  GnuFrame first;
  if (x.dwarf) {
    uint32_t unit = 0;
    UnitRow row{};
    bool have_row = false;
    int32_t fi = -1;
    x.dwarf_find(a, unit, row, have_row, fi);
    bool found = have_row || fi >= 0;
    const UnitTables* t = found ? &x.tables(unit) : nullptr;
    if (have_row) {
      if (row.file != kNoFile) {
        first.file = t->file(row.file);
        first.file_known = true;
      }
      first.line = row.line;
      first.column = row.column;
      out.discriminator = row.discriminator;
    }
    const UnitFunction* fn = fi >= 0 ? &t->function(fi) : nullptr;
    auto name_of = [&](uint32_t u, int32_t i, const UnitFunction& f) -> const char* {
      if (!state) return x.settled_name(f);
      auto r = state->renamed.find(Addr2lineSession::State::key(u, i));
      return r != state->renamed.end() ? r->second : f.name;
    };
    bool settled = fn && (fn->is_linkage || (state && state->settled.count(Addr2lineSession::State::key(unit, fi))));
    if (fn && (settled || !state)) {
      const char* n = name_of(unit, fi, *fn);
      if (!n && !state) {
        NearestSymbol::Hit hit;
        if (x.symbol_for_dwarf(*sec, a, hit)) n = hit.name;
      }
      if (n) first.function = n;
      out.from_dwarf = true;
      out.function_start = fn->low;
    } else {
      NearestSymbol::Hit hit;
      bool sym = x.symbol_for_dwarf(*sec, a, hit);
      if (sym) {
        if (hit.name) first.function = hit.name;
        if (!have_row && hit.file) {
          first.file = hit.file;
          first.file_known = true;
        }
        out.function_start = hit.value;
        found = true;
      }
      if (fn) {
        auto key = Addr2lineSession::State::key(unit, fi);
        if (!sym) {
          if (fn->name) first.function = fn->name;
          out.from_dwarf = true;
          out.function_start = fn->low;
        } else if (hit.value == fn->low) {
          state->renamed[key] = hit.name;
        }
        state->settled.insert(key);
      }
    }
    if (found) {
      out.found = true;
      out.frames.push_back(first);
      // The inline chain: each caller and where the call is.
      for (int32_t i = fi; i >= 0 && fn && t->function(i).inlined && t->function(i).caller >= 0;
           i = t->function(i).caller) {
        const UnitFunction& f = t->function(i);
        const UnitFunction& caller = t->function(f.caller);
        GnuFrame g;
        if (const char* n = name_of(unit, f.caller, caller)) g.function = n;
        if (f.call_file != kNoFile) {
          g.file = t->file(f.call_file);
          g.file_known = true;
        }
        g.line = f.call_line;
        g.column = f.call_column;
        out.frames.push_back(g);
      }
      return;
    }
  }
  // No DWARF answer: the main file's own symbols.
  NearestSymbol::Hit hit;
  if (!x.main_symbols.find(sec->index, a, hit)) return;
  first.function = hit.name ? hit.name : "";
  first.file = hit.file ? hit.file : "";
  first.file_known = hit.file != nullptr;
  out.function_start = hit.value;
  out.found = true;
  out.frames.push_back(first);
}

}  // namespace

void ElfIndex::lookup(uint64_t address, GnuAnswer& out) const { answer(*impl_, address, out, nullptr); }

Addr2lineSession::Addr2lineSession(std::shared_ptr<ElfIndex> index)
    : index_(std::move(index)), state_(new State) {}
Addr2lineSession::~Addr2lineSession() = default;

void Addr2lineSession::lookup(uint64_t address, GnuAnswer& out) {
  answer(*index_->impl_, address, out, state_.get());
}

}  // namespace nestrr::symbolize
