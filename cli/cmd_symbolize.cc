// `nestrr symbolize`: addresses to function+offset, file:line:column and
// inline chains, from arguments or stdin (one or more per line).
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "log_input.h"
#include "nestrr/symbolize/addr2line_format.h"
#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::cli {

namespace {

bool parse_address(const std::string& s, uint64_t& out) {
  try {
    size_t used = 0;
    out = std::stoull(s, &used, 16);  // hex, with or without 0x, as addr2line
    return used == s.size();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

void register_symbolize(CLI::App& app, Run& run) {
  struct Opts {
    std::vector<std::string> elf, debug_dirs, addresses;
    std::string log;
    bool eu = false, demangle = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "symbolize", "Addresses to function+offset, file:line:column and inline chains (libdw)");
  sub->add_option("--elf", o->elf, "ELF file (repeatable); without --log, at its link-time addresses");
  sub->add_option("--debug-dir", o->debug_dirs, "Find files by build-id in DIR/.build-id (repeatable)");
  sub->add_option("--log", o->log, "Use the module table (build-ids, load addresses) of this log");
  sub->add_flag("--eu-addr2line", o->eu, "Print what `eu-addr2line -f -i` prints, line for line");
  sub->add_flag("-C,--demangle", o->demangle, "With --eu-addr2line: demangle names (always on otherwise)");
  sub->add_option("addresses", o->addresses, "Hex addresses, or - (or none) to read stdin");
  sub->callback([&run, o] {
    run = [o]() -> int {
      symbolize::ModuleSetOptions mo;
      for (auto& e : o->elf) mo.elf_files.emplace_back(e);
      for (auto& d : o->debug_dirs) mo.debug_dirs.emplace_back(d);
      std::optional<symbolize::ModuleSet> modules;
      try {
        if (!o->log.empty()) {
          auto log = open_log(o->log);
          if (!log) return kExitBadInput;
          modules = symbolize::ModuleSet::from_log(log->header ? &*log->header : nullptr, mo);
          for (auto& name : modules->unresolved())
            spdlog::warn("module {}: no ELF file (give --elf or --debug-dir)", name);
        } else {
          if (mo.elf_files.size() != 1) {
            spdlog::error("give exactly one --elf, or a --log whose module table places several");
            return kExitUsage;
          }
          modules = symbolize::ModuleSet::from_files(mo);
        }
      } catch (const symbolize::BuildIdMismatch& e) {
        spdlog::error("{}", e.what());
        return kExitBadInput;
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return kExitBadInput;
      }
      symbolize::Symbolizer sym(*modules);
      for (auto& err : sym.load_errors()) spdlog::warn("{}", err);
      bool bad = false;
      auto one = [&](const std::string& word) {
        uint64_t addr;
        if (!parse_address(word, addr)) {
          spdlog::error("not a hex address: {}", word);
          bad = true;
          return;
        }
        const auto& info = sym.lookup(addr);
        std::cout << (o->eu ? symbolize::format_eu_addr2line(info, o->demangle)
                            : symbolize::format_address(info));
      };
      bool from_stdin = o->addresses.empty() || (o->addresses.size() == 1 && o->addresses[0] == "-");
      if (from_stdin) {
        std::ios::sync_with_stdio(false);
        std::string line, word;
        while (std::getline(std::cin, line)) {
          std::istringstream ws(line);
          while (ws >> word) one(word);
          // Answer at once when used interactively; batch input streams.
          if (std::cin.rdbuf()->in_avail() <= 0) std::cout.flush();
        }
      } else {
        for (auto& a : o->addresses) one(a);
      }
      return bad ? kExitUsage : kExitOk;
    };
  });
}

}  // namespace nestrr::cli
