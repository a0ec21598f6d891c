// Addresses to function+offset, file:line:column and inline chains over a
// ModuleSet: the ELF symbol through libdwfl, the line and the inline chain
// from each module's ElfIndex (addr2line's answers, shared per build-id
// by every Symbolizer in the process). Answers are cached per address.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "nestrr/symbolize/elf_index.h"
#include "nestrr/symbolize/module_set.h"

typedef struct Dwfl Dwfl;
typedef struct Dwfl_Module Dwfl_Module;

namespace nestrr::symbolize {

struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
  bool known() const { return !file.empty(); }
};

// One DWARF scope around an address: an inlined call or the function.
struct Scope {
  std::string raw_name;  // linkage name if there is one, else DW_AT_name
  std::string name;      // demangled
  bool inlined = false;
  SourceLoc call;        // inlined only: where the call is
};

struct AddrInfo {
  uint64_t address = 0;
  std::string module;        // empty: no module holds the address
  std::string raw_symbol;    // ELF symbol (symtab), mangled
  std::string symbol;        // demangled
  uint64_t symbol_offset = 0;
  uint64_t symbol_start = 0;  // runtime address of the symbol
  uint64_t symbol_size = 0;
  SourceLoc loc;             // line table
  std::vector<Scope> scopes;  // innermost first, the function last
  // When scopes[0] is inlined: the function whose body holds the inlined
  // function's definition (a lambda's), else the ELF symbol; raw.
  // What eu-addr2line's first line names after "in".
  std::string inline_context_raw;

  // "fn+631" (the ELF symbol), or the address in hex if no symbol.
  std::string function_offset() const;
};

// A logical frame as debuggers show it: inlined calls are frames of their
// own. Innermost first.
struct LogicalFrame {
  std::string function;  // demangled
  SourceLoc loc;
  bool inlined = false;  // called inline from the next frame
};
std::vector<LogicalFrame> logical_frames(const AddrInfo& info);

// "file:line:col" (":col" left out when 0), "??:0" when unknown.
std::string format_loc(const SourceLoc& loc);
std::string demangle(const std::string& name);

// A libdwfl session with the modules reported at their load addresses
// (the CFI unwinder opens its own, to attach a thread state). Throws
// std::runtime_error if libdwfl cannot start.
class DwflSession {
 public:
  explicit DwflSession(const ModuleSet& modules);
  ~DwflSession();
  DwflSession(const DwflSession&) = delete;
  DwflSession& operator=(const DwflSession&) = delete;
  Dwfl* get() const;
  // Modules that libdwfl could not load, with its reason.
  const std::vector<std::string>& load_errors() const;
  // The ModuleSet index of a libdwfl module, -1 if it is none of them.
  int module_index(Dwfl_Module* mod) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Symbolizer {
 public:
  explicit Symbolizer(const ModuleSet& modules);
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Cached. The returned reference stays valid for the Symbolizer's life.
  const AddrInfo& lookup(uint64_t address);
  // Not kept: valid until the next call. For batches of distinct
  // addresses, where caching every answer only costs memory and time.
  const AddrInfo& lookup_transient(uint64_t address);
  // Uncached, without the scope index: what dwarf_getscopes says (tests).
  AddrInfo lookup_uncached_reference(uint64_t address);
  // Not kept: libdw's line and scopes (a per-CU scope index), as
  // eu-addr2line answers; what --eu-addr2line prints.
  const AddrInfo& lookup_eu(uint64_t address);

  // True if the CFI covering `address` is marked as a signal frame (CIE
  // augmentation "S": an interrupt or signal entry). The frame it returns
  // to was interrupted, not called: its pc is exact, not a return address.
  bool is_signal_frame(uint64_t address);

  // addr2line's answer for a runtime address (its module's link-time
  // address inside), following addr2line's naming history per module
  // (Addr2lineSession); `module` gets the module's name. False if no
  // module holds the address.
  bool addr2line_lookup(uint64_t address, GnuAnswer& out, std::string* module = nullptr);

  // Bytes of the loaded image at [address, address + n) from the module's
  // ELF (code, rodata); empty if no file section holds them.
  std::string read_image(uint64_t address, uint64_t n);

  Dwfl* dwfl() { return session_.get(); }
  const ModuleSet& modules() const { return modules_; }
  const std::vector<std::string>& load_errors() const { return session_.load_errors(); }

 private:
  enum class Source { kElfIndex, kLibdwIndex, kLibdwReference };
  AddrInfo compute(uint64_t address, Source source);
  ElfIndex* elf_index(int module);
  std::vector<std::shared_ptr<ElfIndex>> indexes_by_module_;
  ModuleSet modules_;
  DwflSession session_;
  struct Indexes;
  std::unique_ptr<Indexes> indexes_;
  std::unordered_map<uint64_t, std::unique_ptr<AddrInfo>> cache_;
  AddrInfo transient_;
  std::vector<std::unique_ptr<Addr2lineSession>> sessions_;  // by module, opened on use
};


}  // namespace nestrr::symbolize
