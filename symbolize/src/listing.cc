// Listings: function bounds from the ELF symbol, bytes from the image,
// instructions from capstone, lines from the libdw line table, text from
// the source tree when there is one.
#include "nestrr/symbolize/listing.h"

#include <capstone/capstone.h>
#include <elfutils/libdwfl.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <vector>

namespace nestrr::symbolize {

namespace fs = std::filesystem;

namespace {

class SourceFiles {
 public:
  explicit SourceFiles(std::optional<fs::path> dir) : dir_(std::move(dir)) {}

  // The text of `line` (1-based), or nothing if the file is not found.
  std::optional<std::string> line(const std::string& file, int line) {
    const auto* lines = load(file);
    if (!lines || line < 1 || static_cast<size_t>(line) > lines->size()) return std::nullopt;
    return (*lines)[line - 1];
  }

 private:
  const std::vector<std::string>* load(const std::string& file) {
    auto it = cache_.find(file);
    if (it != cache_.end()) return it->second ? &*it->second : nullptr;
    auto& slot = cache_[file];
    if (!dir_) return nullptr;
    // Suffixes of the path, longest first.
    std::vector<fs::path> parts;
    for (const auto& p : fs::path(file).relative_path()) parts.push_back(p);
    for (size_t start = 0; start < parts.size(); start++) {
      fs::path candidate = *dir_;
      for (size_t i = start; i < parts.size(); i++) candidate /= parts[i];
      std::ifstream in(candidate);
      if (!in) continue;
      std::vector<std::string> lines;
      for (std::string l; std::getline(in, l);) lines.push_back(l);
      slot = std::move(lines);
      return &*slot;
    }
    return nullptr;
  }

  std::optional<fs::path> dir_;
  std::map<std::string, std::optional<std::vector<std::string>>> cache_;
};

struct LineKey {
  std::string file;
  int line = 0;
  bool operator==(const LineKey&) const = default;
};

LineKey line_of(Dwfl* dwfl, uint64_t addr) {
  Dwfl_Module* mod = dwfl_addrmodule(dwfl, addr);
  if (!mod) return {};
  Dwfl_Line* l = dwfl_module_getsrc(mod, addr);
  if (!l) return {};
  int line = 0;
  const char* file = dwfl_lineinfo(l, nullptr, &line, nullptr, nullptr, nullptr);
  return file ? LineKey{file, line} : LineKey{};
}

}  // namespace

std::string format_listing(Symbolizer& sym, uint64_t pc, const ListingOptions& options) {
  uint64_t at = options.pc_is_return_address && pc > 0 ? pc - 1 : pc;
  const AddrInfo& info = sym.lookup(at);
  if (info.module.empty()) throw std::runtime_error(fmt::format("no module holds {:#x}", pc));
  if (info.symbol.empty() || info.symbol_size == 0)
    throw std::runtime_error(fmt::format("no function symbol (with a size) holds {:#x}", pc));
  std::string code = sym.read_image(info.symbol_start, info.symbol_size);
  if (code.size() != info.symbol_size)
    throw std::runtime_error(fmt::format("the bytes of {} are not in {}'s ELF file", info.symbol, info.module));

  csh cs;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) throw std::runtime_error("capstone: cannot open x86-64");
  cs_option(cs, CS_OPT_SYNTAX, options.intel ? CS_OPT_SYNTAX_INTEL : CS_OPT_SYNTAX_ATT);
  cs_insn* insn = nullptr;
  size_t count = cs_disasm(cs, reinterpret_cast<const uint8_t*>(code.data()), code.size(), info.symbol_start, 0, &insn);

  std::string out = fmt::format("{} in {}: [{:#x}, {:#x}) {} bytes, {} syntax\n", info.symbol, info.module,
                                info.symbol_start, info.symbol_start + info.symbol_size, info.symbol_size,
                                options.intel ? "Intel" : "AT&T");
  if (!options.source_dir)
    out += "source not available (no --source-dir): lines shown as file:line only\n";
  SourceFiles sources(options.source_dir);
  bool marked = false, missing_reported = false;
  LineKey last;
  uint64_t decoded_end = info.symbol_start;
  for (size_t i = 0; i < count; i++) {
    const cs_insn& in = insn[i];
    LineKey key = line_of(sym.dwfl(), in.address);
    if (i == 0 || !(key == last)) {
      last = key;
      if (key.file.empty()) {
        out += "??:0\n";
      } else {
        std::string loc = fmt::format("{}:{}", fs::path(key.file).filename().string(), key.line);
        auto text = sources.line(key.file, key.line);
        if (text) {
          out += fmt::format("{:<40}{}\n", loc, *text);
        } else {
          if (options.source_dir && !missing_reported) {
            out += fmt::format("(source not available: {} not found under {})\n", key.file, options.source_dir->string());
            missing_reported = true;
          }
          out += fmt::format("{}:{}\n", key.file, key.line);
        }
      }
    }
    bool here = options.pc_is_return_address ? in.address + in.size == pc : in.address == pc;
    marked = marked || here;
    std::string bytes;
    for (uint16_t b = 0; b < in.size; b++) bytes += fmt::format("{}{:02x}", b ? " " : "", in.bytes[b]);
    std::string ops = in.op_str;
    // Direct branch and call targets: name them, as objdump does.
    std::string mn = in.mnemonic;
    if ((mn[0] == 'j' || mn.rfind("call", 0) == 0) && ops.rfind("0x", 0) == 0) {
      uint64_t target = std::strtoull(ops.c_str(), nullptr, 16);
      const AddrInfo& t = sym.lookup(target);
      if (!t.symbol.empty()) ops += fmt::format(" <{}>", t.function_offset());
    }
    out += fmt::format("{:<4}{:x}:   {:<21}  {:<6} {}\n", here ? "->" : "", in.address, bytes, in.mnemonic, ops);
    decoded_end = in.address + in.size;
  }
  if (count) cs_free(insn, count);
  cs_close(&cs);
  if (decoded_end < info.symbol_start + info.symbol_size)
    out += fmt::format("(capstone stopped decoding at {:#x})\n", decoded_end);
  if (!marked)
    out += fmt::format("(no instruction {} {:#x})\n", options.pc_is_return_address ? "ends at" : "starts at", pc);
  return out;
}

}  // namespace nestrr::symbolize
