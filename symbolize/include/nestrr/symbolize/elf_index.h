// One ELF file's addresses to functions, source lines and inline chains,
// answered the way binutils addr2line answers them (its choice of
// compilation unit, line row, innermost function by smallest range, and
// ELF symbol when DWARF names no function). Built once per file into
// sorted flat arrays, one compilation unit at a time as lookups reach it,
// then a binary search per address. Files are shared by build-id: every
// Symbolizer in a process (report, stack, gdb server) uses the same index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nestrr::symbolize {

// One line of an answer: a function and where in the source.
struct GnuFrame {
  std::string_view function;  // empty: unknown ("??")
  std::string_view file;      // see file_known
  bool file_known = false;    // false: unknown ("??"); a known name may be
                              // empty (an STT_FILE symbol without a name)
  unsigned line = 0;          // 0: unknown ("?")
  unsigned column = 0;
};

struct GnuAnswer {
  // False: no section holds the address, or neither DWARF nor a symbol
  // names anything there (addr2line prints "??" and "??:0").
  bool found = false;
  unsigned discriminator = 0;  // of frames[0]'s line row
  // frames[0]: the innermost function and the line table's location;
  // then, when that function was inlined, each caller and the call's
  // location, outwards.
  std::vector<GnuFrame> frames;
  // Runtime start of frames[0]'s function (DWARF low address, else the
  // ELF symbol's), 0 if unknown.
  uint64_t function_start = 0;
  bool from_dwarf = false;  // frames[0].function came from DWARF
};

class ElfIndex {
 public:
  // The index of `path` (with its DWARF from the file itself or from a
  // separate debug file found by build-id or .gnu_debuglink under
  // `debug_dirs`). Shared per build-id (per path when there is none) while
  // anyone holds it. Throws std::runtime_error if the file is no ELF.
  static std::shared_ptr<ElfIndex> open(const std::filesystem::path& path,
                                        const std::vector<std::filesystem::path>& debug_dirs);
  ~ElfIndex();
  ElfIndex(const ElfIndex&) = delete;
  ElfIndex& operator=(const ElfIndex&) = delete;

  // The answer for `address` (a link-time address of this file), the same
  // whatever was asked before: functions are called by their DWARF name
  // (the linkage name if there is one), where addr2line may use an ELF
  // symbol instead (see Addr2lineSession).
  void lookup(uint64_t address, GnuAnswer& out) const;

  const std::filesystem::path& path() const;
  const std::string& build_id() const;  // raw bytes, may be empty
  bool has_dwarf() const;
  // Why the file has no DWARF, when it has none.
  const std::string& dwarf_error() const;

  struct Impl;

 private:
  friend class Addr2lineSession;
  explicit ElfIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// addr2line's answers over a sequence of lookups: addr2line renames a
// function without a linkage name after the first lookup that lands in it
// (to the ELF symbol at its start, if there is one), and before that
// names it by the ELF symbol holding the address. A session follows that
// history, so a batch gets addr2line's answers line for line; ElfIndex's
// own lookup uses DWARF names instead.
class Addr2lineSession {
 public:
  explicit Addr2lineSession(std::shared_ptr<ElfIndex> index);
  ~Addr2lineSession();
  void lookup(uint64_t address, GnuAnswer& out);
  const ElfIndex& index() const { return *index_; }

  struct State;

 private:
  std::shared_ptr<ElfIndex> index_;
  std::unique_ptr<State> state_;
};

}  // namespace nestrr::symbolize
