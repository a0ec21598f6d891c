// Building the tables of unit_tables.h from libdw's view of one CU.
#include "unit_tables.h"

#include "line_program.h"

#include <dwarf.h>

#include <algorithm>
#include <queue>
#include <unordered_map>

namespace nestrr::symbolize {

namespace {

constexpr uint32_t kGapLine = ~0u;  // with kNoFile: between sequences

// Languages whose DW_AT_name is the symbol name (binutils' list of
// languages without mangling).
bool name_is_linkage(int lang) {
  switch (lang) {
    case DW_LANG_C89:
    case DW_LANG_C:
    case DW_LANG_Cobol74:
    case DW_LANG_Cobol85:
    case DW_LANG_Fortran77:
    case DW_LANG_Pascal83:
    case DW_LANG_PLI:
    case DW_LANG_C99:
    case DW_LANG_UPC:
    case DW_LANG_C11:
    case DW_LANG_Mips_Assembler:
      return true;
    default:
      return false;
  }
}

const char* string_attr(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  if (!dwarf_attr_integrate(die, name, &attr)) return nullptr;
  return dwarf_formstring(&attr);
}

bool is_function(int tag) {
  return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_entry_point;
}

// DIEs whose children may hold functions with code. A class's members
// are declarations, except in a class local to a function body (a
// lambda's closure type holds its body). Other types, variables and call
// sites are skipped whole (libdw jumps over them by DW_AT_sibling).
bool may_hold_functions(int tag, bool in_function) {
  switch (tag) {
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type:
      return in_function;
    case DW_TAG_subprogram:
    case DW_TAG_inlined_subroutine:
    case DW_TAG_entry_point:
    case DW_TAG_lexical_block:
    case DW_TAG_namespace:
    case DW_TAG_module:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
    case DW_TAG_with_stmt:
    case DW_TAG_common_block:
      return true;
    default:
      return false;
  }
}

}  // namespace

UnitTables::UnitTables(Dwarf_Die* cudie, int dwarf_version, const unsigned char* line_section, size_t line_size) {
  if (!cudie) return;
  read_files(cudie, dwarf_version);
  read_lines(cudie, line_section, line_size);
  read_functions(cudie);
}

void UnitTables::read_files(Dwarf_Die* cudie, int dwarf_version) {
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0) return;
  const char* comp_dir = string_attr(cudie, DW_AT_comp_dir);
  std::string comp_prefix = comp_dir ? std::string(comp_dir) + "/" : std::string();
  files_.reserve(nfiles);
  for (size_t i = 0; i < nfiles; i++) {
    const char* name = dwarf_filesrc(files, i, nullptr, nullptr);
    if (!name) {
      files_.emplace_back("<unknown>");
      continue;
    }
    // libdw joins the file's directory entry to relative names; binutils
    // also puts the CU's directory before a relative directory entry. In
    // DWARF 4 entry 0 is that directory itself.
    bool relative = name[0] != '/';
    bool own_dir_entry = dwarf_version < 5 && !comp_prefix.empty() &&
                         std::string_view(name).substr(0, comp_prefix.size()) == comp_prefix;
    if (relative && comp_dir && !own_dir_entry)
      files_.push_back(comp_prefix + name);
    else
      files_.emplace_back(name);
  }
}

void UnitTables::read_lines(Dwarf_Die* cudie, const unsigned char* line_section, size_t line_size) {
  Dwarf_Attribute attr;
  Dwarf_Word stmt_list = 0;
  if (!line_section || dwarf_formudata(dwarf_attr(cudie, DW_AT_stmt_list, &attr), &stmt_list) != 0) return;
  Dwarf_Die cu;
  uint8_t address_size = 8, offset_size = 4;
  if (!dwarf_diecu(cudie, &cu, &address_size, &offset_size)) return;

  // Rows in program order, a sequence up to its end row; of rows at one
  // address in a sequence the last one counts.
  struct Row {
    uint64_t addr;
    UnitRow info;
  };
  struct Sequence {
    uint64_t low, high;
    size_t first, count;  // into rows, the end row excluded
  };
  std::vector<Row> rows;
  std::vector<Sequence> seqs;
  size_t seq_first = 0;
  size_t nfiles = files_.size();
  decode_line_program(line_section, line_size, stmt_list, address_size, [&](const LineProgramRow& r) {
    if (r.end_sequence) {
      if (rows.size() > seq_first) seqs.push_back({rows[seq_first].addr, r.address, seq_first, rows.size() - seq_first});
      seq_first = rows.size();
      return;
    }
    UnitRow info{r.file < nfiles ? r.file : kNoFile, r.line, r.column, r.discriminator};
    if (rows.size() > seq_first && rows.back().addr == r.address)
      rows.back().info = info;
    else
      rows.push_back({r.address, info});
  });
  rows.resize(seq_first);  // a sequence without its end row holds nothing
  row_starts_.reserve(rows.size() + seqs.size());
  rows_.reserve(rows.size() + seqs.size());
  // Sequences by start, the longer first; one inside an earlier one is
  // dropped, one overlapping it starts where it ends.
  std::stable_sort(seqs.begin(), seqs.end(), [](const Sequence& a, const Sequence& b) {
    return a.low != b.low ? a.low < b.low : a.high > b.high;
  });
  uint64_t last_high = 0;
  bool any = false;
  for (const Sequence& s : seqs) {
    uint64_t low = s.low;
    if (any && low < last_high) {
      if (s.high <= last_high) continue;
      low = last_high;
    }
    any = true;
    last_high = s.high;
    for (size_t k = 0; k < s.count; k++) {
      const Row& r = rows[s.first + k];
      uint64_t end = k + 1 < s.count ? rows[s.first + k + 1].addr : s.high;
      uint64_t start = std::max(r.addr, low);
      if (start >= end) continue;
      if (!row_starts_.empty() && row_starts_.back() == start) {
        rows_.back() = r.info;
      } else {
        row_starts_.push_back(start);
        rows_.push_back(r.info);
      }
    }
    if (!row_starts_.empty() && row_starts_.back() == s.high) {
      rows_.back() = {kNoFile, kGapLine, 0, 0};
    } else {
      row_starts_.push_back(s.high);
      rows_.push_back({kNoFile, kGapLine, 0, 0});
    }
  }
}

void UnitTables::read_functions(Dwarf_Die* cudie) {
  bool c_like = name_is_linkage(dwarf_srclang(cudie));

  struct Range {
    uint64_t low, high;
    int32_t function;
  };
  std::vector<Range> ranges;
  std::vector<std::pair<uint64_t, uint64_t>> own;
  std::unordered_map<Dwarf_Off, std::pair<const char*, bool>> names;  // by abstract origin

  // Depth-first, in DIE order; `caller` is the nearest enclosing function.
  struct Frame {
    Dwarf_Die die;
    int32_t caller;
    bool in_function;
  };
  std::vector<Frame> stack;
  Dwarf_Die child;
  if (dwarf_child(cudie, &child) == 0) stack.push_back({child, -1, false});
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    Dwarf_Die die = f.die;
    // Siblings later: push the next one first.
    Dwarf_Die next;
    if (dwarf_siblingof(&die, &next) == 0) stack.push_back({next, f.caller, f.in_function});
    int tag = dwarf_tag(&die);
    int32_t inner = f.caller;
    if (is_function(tag)) {
      UnitFunction fn;
      fn.inlined = tag == DW_TAG_inlined_subroutine;
      if (fn.inlined) fn.caller = f.caller;
      // Inlined copies and out-of-line instances name their abstract
      // origin: its name is looked up once.
      Dwarf_Attribute origin_attr;
      Dwarf_Off origin = 0;
      Dwarf_Die origin_die;
      if (dwarf_attr(&die, DW_AT_abstract_origin, &origin_attr) && !dwarf_hasattr(&die, DW_AT_linkage_name) &&
          !dwarf_hasattr(&die, DW_AT_name) && dwarf_formref_die(&origin_attr, &origin_die))
        origin = dwarf_dieoffset(&origin_die);
      auto cached = origin ? names.find(origin) : names.end();
      if (cached != names.end()) {
        fn.name = cached->second.first;
        fn.is_linkage = cached->second.second;
      } else {
        const char* linkage = string_attr(&die, DW_AT_linkage_name);
        if (!linkage) linkage = string_attr(&die, DW_AT_MIPS_linkage_name);
        if (linkage) {
          fn.name = linkage;
          fn.is_linkage = true;
        } else {
          fn.name = string_attr(&die, DW_AT_name);
          fn.is_linkage = fn.name && c_like;
        }
        if (origin) names.emplace(origin, std::make_pair(fn.name, fn.is_linkage));
      }
      if (fn.inlined) {
        Dwarf_Attribute attr;
        Dwarf_Word v = 0;
        fn.call_file = kNoFile;
        if (dwarf_formudata(dwarf_attr(&die, DW_AT_call_file, &attr), &v) == 0 && v < files_.size())
          fn.call_file = uint32_t(v);
        if (dwarf_formudata(dwarf_attr(&die, DW_AT_call_line, &attr), &v) == 0) fn.call_line = uint32_t(v);
        if (dwarf_formudata(dwarf_attr(&die, DW_AT_call_column, &attr), &v) == 0) fn.call_column = uint32_t(v);
      } else {
        fn.call_file = kNoFile;
      }
      // Ranges as binutils keeps them: a range that extends one already
      // kept merges into it; the first kept one gives the function's start.
      own.clear();
      Dwarf_Addr base = 0, start = 0, end = 0;
      ptrdiff_t off = 0;
      while ((off = dwarf_ranges(&die, off, &base, &start, &end)) > 0) {
        if (start == end) continue;
        bool merged = false;
        for (auto& r : own) {
          if (start == r.second) {
            r.second = end;
            merged = true;
            break;
          }
          if (end == r.first) {
            r.first = start;
            merged = true;
            break;
          }
        }
        if (merged) continue;
        if (own.empty())
          own.emplace_back(start, end);
        else
          own.insert(own.begin() + 1, {start, end});
      }
      inner = int32_t(functions_.size());
      if (!own.empty()) fn.low = own.front().first;
      for (auto& r : own) ranges.push_back({r.first, r.second, inner});
      functions_.push_back(fn);
    } else if (!may_hold_functions(tag, f.in_function)) {
      continue;
    }
    if (dwarf_haschildren(&die) && dwarf_child(&die, &child) == 0)
      stack.push_back({child, inner, f.in_function || is_function(tag)});
  }

  // Smallest range wins, the later function on a tie: a sweep over the
  // range ends with the best candidate on top of a heap.
  std::vector<uint64_t> points;
  points.reserve(ranges.size() * 2);
  for (auto& r : ranges) {
    points.push_back(r.low);
    points.push_back(r.high);
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.low < b.low; });
  auto worse = [](const Range& a, const Range& b) {
    uint64_t la = a.high - a.low, lb = b.high - b.low;
    return la != lb ? la > lb : a.function < b.function;
  };
  std::priority_queue<Range, std::vector<Range>, decltype(worse)> live(worse);
  size_t next = 0;
  for (uint64_t p : points) {
    while (next < ranges.size() && ranges[next].low <= p) live.push(ranges[next++]);
    while (!live.empty() && live.top().high <= p) live.pop();
    int32_t best = live.empty() ? -1 : live.top().function;
    if (!span_functions_.empty() && span_functions_.back() == best) continue;
    span_starts_.push_back(p);
    span_functions_.push_back(best);
  }
}

bool UnitTables::row_at(uint64_t pc, UnitRow& out) const {
  auto it = std::upper_bound(row_starts_.begin(), row_starts_.end(), pc);
  if (it == row_starts_.begin()) return false;
  const UnitRow& r = rows_[size_t(it - row_starts_.begin()) - 1];
  if (r.file == kNoFile && r.line == kGapLine) return false;
  out = r;
  return true;
}

int32_t UnitTables::function_at(uint64_t pc) const {
  auto it = std::upper_bound(span_starts_.begin(), span_starts_.end(), pc);
  if (it == span_starts_.begin()) return -1;
  return span_functions_[size_t(it - span_starts_.begin()) - 1];
}

}  // namespace nestrr::symbolize
