// `nestrr symbolize`: addresses to function+offset, file:line:column and
// inline chains, from arguments or stdin (one or more per line). Takes
// binutils addr2line's flags (-e -f -i -a -C) and llvm-symbolizer's
// --output-style=JSON, so it drops into scripts written for either.
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string_view>

#include "commands.h"
#include "log_input.h"
#include "module_files.h"
#include "nestrr/symbolize/addr2line_format.h"
#include "nestrr/symbolize/elf_index.h"
#include "nestrr/symbolize/gnu_format.h"
#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::cli {

namespace {

// Hex, with or without 0x, as addr2line reads it.
bool parse_address(std::string_view s, uint64_t& out) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

template <typename F>
void for_each_word(std::string_view line, F&& f) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) i++;
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) i++;
    if (i > start) f(line.substr(start, i - start));
  }
}

}  // namespace

void register_symbolize(CLI::App& app, Run& run) {
  struct Opts {
    std::vector<std::string> elf, debug_dirs, addresses;
    std::string log, style;
    bool eu = false;
    symbolize::GnuFlags gnu;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "symbolize", "Addresses to function+offset, file:line:column and inline chains (libdw)");
  // One value per flag: "-e ELF 0x1 0x2" are addresses, as for addr2line.
  sub->add_option("-e,--elf,--exe", o->elf, "ELF file (repeatable); without --log, at its link-time addresses")
      ->allow_extra_args(false);
  sub->add_option("--debug-dir", o->debug_dirs, "Find files by build-id in DIR/.build-id (repeatable)")
      ->allow_extra_args(false);
  sub->add_option("--log", o->log, "Use the module table (build-ids, load addresses) of this log");
  sub->add_flag("--eu-addr2line", o->eu, "Print what `eu-addr2line -f -i` prints, line for line");
  sub->add_flag("-f,--functions", o->gnu.functions, "As addr2line -f: print the function before each location");
  sub->add_flag("-i,--inlines", o->gnu.inlines, "As addr2line -i: print the inline chain");
  sub->add_flag("-a,--addresses", o->gnu.addresses, "As addr2line -a: print the address first");
  sub->add_flag("-C,--demangle", o->gnu.demangle,
                "With addr2line's or eu-addr2line's output: demangle names (always on otherwise)");
  sub->add_option("--output-style", o->style,
                  "GNU: addr2line's lines (also implied by -f, -i or -a); JSON: llvm-symbolizer's")
      ->check(CLI::IsMember({"GNU", "JSON"}));
  sub->add_option("address", o->addresses, "Hex addresses, or - (or none) to read stdin");
  sub->callback([&run, o] {
    run = [o]() -> int {
      bool gnu = o->style == "GNU" || o->gnu.functions || o->gnu.inlines || o->gnu.addresses;
      bool json = o->style == "JSON";
      std::vector<std::filesystem::path> debug_dirs(o->debug_dirs.begin(), o->debug_dirs.end());
      // addr2line's and llvm-symbolizer's forms on one file need no module
      // table: the index of the file answers directly.
      std::unique_ptr<symbolize::Addr2lineSession> direct;
      std::optional<symbolize::ModuleSet> modules;
      try {
        if (!o->log.empty()) {
          symbolize::ModuleSetOptions mo;
          for (auto& e : o->elf) mo.elf_files.emplace_back(e);
          mo.debug_dirs = debug_dirs;
          auto log = open_log(o->log);
          if (!log) return kExitBadInput;
          modules = open_modules(log->header ? &*log->header : nullptr, {o->elf, o->debug_dirs});
          if (!modules) return kExitBadInput;
          for (auto& name : modules->unresolved())
            spdlog::warn("module {}: no ELF file (give --elf or --debug-dir)", name);
        } else if (o->elf.size() != 1) {
          spdlog::error("give exactly one --elf, or a --log whose module table places several");
          return kExitUsage;
        } else if ((gnu || json) && !o->eu) {
          direct = std::make_unique<symbolize::Addr2lineSession>(symbolize::ElfIndex::open(o->elf[0], debug_dirs));
        } else {
          symbolize::ModuleSetOptions mo;
          mo.elf_files.emplace_back(o->elf[0]);
          mo.debug_dirs = debug_dirs;
          modules = symbolize::ModuleSet::from_files(mo);
        }
      } catch (const symbolize::BuildIdMismatch& e) {
        spdlog::error("{}", e.what());
        return kExitBadInput;
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return kExitBadInput;
      }
      std::unique_ptr<symbolize::Symbolizer> sym;
      if (modules) {
        sym = std::make_unique<symbolize::Symbolizer>(*modules);
        for (auto& err : sym->load_errors()) spdlog::warn("{}", err);
      }
      bool bad = false;
      std::string out;
      symbolize::GnuAnswer answer;
      symbolize::Demangler demangler;
      std::string module;
      auto one = [&](std::string_view word) {
        uint64_t addr;
        if (!parse_address(word, addr)) {
          spdlog::error("not a hex address: {}", word);
          bad = true;
          return;
        }
        if (gnu || json) {
          if (!o->eu) {
            module = o->elf.size() == 1 ? o->elf[0] : std::string();
            if (direct)
              direct->lookup(addr, answer);
            else if (!sym->addr2line_lookup(addr, answer, o->elf.size() == 1 ? nullptr : &module))
              answer = {};
            if (json)
              symbolize::append_llvm_json(out, addr, module, answer, demangler);
            else
              symbolize::append_addr2line(out, addr, answer, o->gnu, demangler);
            return;
          }
        }
        const auto& info = o->eu ? sym->lookup_eu(addr) : sym->lookup_transient(addr);
        if (o->eu)
          out += symbolize::format_eu_addr2line(info, o->gnu.demangle);
        else
          out += symbolize::format_address(info);
      };
      auto emit = [&] {
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fflush(stdout);
        out.clear();
      };
      bool from_stdin = o->addresses.empty() || (o->addresses.size() == 1 && o->addresses[0] == "-");
      if (from_stdin) {
        // Whatever one read() returns is answered and written at once: a
        // batch goes out in large writes, an interactive line right away.
        std::string pending;
        char buf[1 << 16];
        for (;;) {
          ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) break;
          pending.append(buf, size_t(n));
          size_t start = 0;
          for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
            for_each_word(std::string_view(pending).substr(start, nl - start), one);
          pending.erase(0, start);
          emit();
        }
        for_each_word(pending, one);
        emit();
      } else {
        for (auto& a : o->addresses) one(a);
        emit();
      }
      return bad ? kExitUsage : kExitOk;
    };
  });
}

}  // namespace nestrr::cli
