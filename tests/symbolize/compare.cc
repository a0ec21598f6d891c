#include "compare.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "nestrr/symbolize/addr2line_format.h"
#include "nestrr/symbolize/symbolizer.h"

namespace fs = std::filesystem;
namespace sym = nestrr::symbolize;

namespace nestrr_test {

std::vector<uint64_t> text_addresses(const fs::path& path, size_t count) {
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string());
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  uint64_t total = 0;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn))) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_type == SHT_PROGBITS &&
        sh.sh_size) {
      spans.emplace_back(sh.sh_addr, sh.sh_size);
      total += sh.sh_size;
    }
  }
  elf_end(elf);
  ::close(fd);
  std::vector<uint64_t> out;
  if (!total) return out;
  // Evenly spread, with an odd stride so instruction starts and middles mix.
  uint64_t step = total / count;
  if (step == 0) step = 1;
  uint64_t at = 0;
  for (size_t i = 0; i < count && at < total; i++, at += step + (i % 3)) {
    uint64_t rest = at;
    for (auto& [start, size] : spans) {
      if (rest < size) {
        out.push_back(start + rest);
        break;
      }
      rest -= size;
    }
  }
  return out;
}

std::map<uint64_t, std::vector<std::string>> address_blocks(const std::string& text) {
  std::map<uint64_t, std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string>* cur = nullptr;
  while (std::getline(in, line)) {
    if (line.size() == 18 && line.rfind("0x", 0) == 0 &&
        line.find_first_not_of("0123456789abcdef", 2) == std::string::npos) {
      cur = &out[std::stoull(line, nullptr, 16)];
      continue;
    }
    if (cur) cur->push_back(line);
  }
  return out;
}

namespace {

std::string strip_column(const std::string& loc) {
  // "file:12:5" -> "file:12"; binutils adds " (discriminator N)".
  std::string s = loc.substr(0, loc.find(" (discriminator"));
  size_t last = s.rfind(':');
  if (last == std::string::npos) return s;
  size_t prev = s.rfind(':', last - 1);
  if (prev != std::string::npos &&
      s.find_first_not_of("0123456789", prev + 1) == last &&
      s.find_first_not_of("0123456789", last + 1) == std::string::npos)
    return s.substr(0, last);
  return s;
}

std::string category(const std::vector<std::string>& ours, const std::vector<std::string>& theirs,
                     Tool tool) {
  if (ours.empty() || theirs.empty()) return "missing output";
  auto first_name = [](const std::string& l) { return l.substr(0, l.find(" inlined at ")); };
  if (first_name(ours[0]) != first_name(theirs[0])) {
    if (theirs[0] == "??") return "function: tool has none";
    if (ours[0] == "??") return "function: nestrr has none";
    return "function name";
  }
  if (ours.size() != theirs.size()) return "inline chain depth";
  if (ours[0] != theirs[0]) return "inlined-at call site (first line)";
  if (ours[1] != theirs[1]) {
    if (strip_column(ours[1]) == strip_column(theirs[1])) return "column";
    return tool == Tool::kEuAddr2line ? "file:line" : "file:line";
  }
  for (size_t i = 2; i < ours.size(); i++) {
    if (ours[i] == theirs[i]) continue;
    if (i % 2 == 0) return "inline chain caller name";
    if (strip_column(ours[i]) == strip_column(theirs[i])) return "inline chain column";
    return "inline chain call site";
  }
  return "other";
}

// binutils prints no columns: compare nestrr's lines without them.
std::vector<std::string> without_columns(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (size_t i = 0; i < lines.size(); i++) {
    std::string l = lines[i];
    if (i == 0) {
      l = l.substr(0, l.find(" inlined at "));
    } else if (i % 2 == 1) {
      l = strip_column(l);
    }
    out.push_back(l);
  }
  return out;
}

std::vector<std::string> binutils_normalized(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (size_t i = 0; i < lines.size(); i++)
    out.push_back(i % 2 == 1 ? strip_column(lines[i]) : lines[i]);
  return out;
}

}  // namespace

std::string Comparison::summary() const {
  std::ostringstream s;
  s << addresses << " addresses, " << agree << " agree";
  for (auto& [cat, n] : categories) s << "; " << cat << ": " << n;
  return s.str();
}

Comparison compare_with(Tool tool, const fs::path& elf, const std::vector<fs::path>& debug_dirs,
                        const std::vector<uint64_t>& addresses, const fs::path& work_dir) {
  fs::path in = work_dir / "addresses.txt", out = work_dir / "tool.txt";
  {
    std::ofstream f(in);
    for (auto a : addresses) f << std::hex << "0x" << a << "\n";
  }
  std::string cmd = std::string(tool == Tool::kEuAddr2line ? "eu-addr2line" : "addr2line") +
                    " -a -f -i -e '" + elf.string() + "' < '" + in.string() + "' > '" +
                    out.string() + "' 2>/dev/null";
  (void)std::system(cmd.c_str());  // exits 1 when some address has no line
  std::ifstream tf(out);
  std::stringstream ts;
  ts << tf.rdbuf();
  auto theirs = address_blocks(ts.str());

  sym::ModuleSetOptions mo;
  mo.elf_files = {elf};
  mo.debug_dirs = debug_dirs;
  sym::Symbolizer s(sym::ModuleSet::from_files(mo));
  std::string ours_text;
  for (auto a : addresses) {
    char head[24];
    std::snprintf(head, sizeof head, "0x%016llx\n", (unsigned long long)a);
    ours_text += head + sym::format_eu_addr2line(tool == Tool::kEuAddr2line ? s.lookup_eu(a) : s.lookup(a));
  }
  auto ours = address_blocks(ours_text);

  Comparison c;
  c.addresses = addresses.size();
  for (auto a : addresses) {
    auto o = ours[a];
    auto t = theirs[a];
    if (tool == Tool::kBinutilsAddr2line) {
      o = without_columns(o);
      t = binutils_normalized(t);
    }
    if (o == t) {
      c.agree++;
      continue;
    }
    std::string cat = category(o, t, tool);
    c.categories[cat]++;
    if (!c.example.count(cat)) {
      std::ostringstream ex;
      ex << std::hex << "0x" << a << "\n  nestrr:";
      for (auto& l : o) ex << " | " << l;
      ex << "\n  tool:  ";
      for (auto& l : t) ex << " | " << l;
      c.example[cat] = ex.str();
    }
  }
  return c;
}

}  // namespace nestrr_test
