// `nestrr debug`: one command from a log to a gdb session on it, as
// `rr replay` is: starts gdb on the right program, connected to
// `nestrr gdbserver --stdio`, with nestrr's gdb commands defined (those
// that move in the history refresh gdb's view of registers and memory,
// which a bare `monitor event N` cannot make gdb do).
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "log_loading.h"
#include "nestrr/replay/host_modules.h"

namespace nestrr::cli {
namespace {

struct DebugOptions {
  std::string log;
  std::vector<std::string> elf;
  uint64_t event = 0;
  bool live = false;
  std::string gdb = "gdb";
  std::vector<std::string> gdb_args;
};

// gdb's view of the target is a cache it refreshes only at a stop; a
// monitor command that moves the history is no stop, so every monitor
// command is followed by a flush, and these commands also show where they
// landed.
constexpr const char* kGdbCommands = R"(
define hookpost-monitor
  maintenance flush register-cache
end
define nestrr-event
  monitor event $arg0
  maintenance flush register-cache
  frame
end
document nestrr-event
nestrr-event N: go to position N of the history (an event of the merged
timeline; --live: a scheduler step), either direction, and show the frame.
end
define nestrr-checkpoint
  monitor checkpoint
end
document nestrr-checkpoint
nestrr-checkpoint: remember exactly where the history stands; nestrr-restart
goes back there (as rr's checkpoint and restart).
end
define nestrr-restart
  monitor restart $arg0
  continue
end
document nestrr-restart
nestrr-restart ID: go back to checkpoint ID (a stop there, so gdb refreshes).
end
define nestrr-when
  monitor when
end
document nestrr-when
nestrr-when: the current position in the history.
end
define nestrr-timeline
  if $argc == 0
    monitor timeline
  else
    monitor timeline $arg0
  end
end
document nestrr-timeline
nestrr-timeline [K]: the K positions around the current one.
end
)";

std::string self_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "nestrr";
  return std::string(buf, static_cast<size_t>(n));
}

// Single quotes for gdb's `target remote | COMMAND`, which runs COMMAND
// through /bin/sh.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int run_debug(const DebugOptions& o, bool has_event) {
  const std::string self = self_path();
  std::string server = sh_quote(self) + " gdbserver " + sh_quote(o.log) + " --stdio";
  if (o.live) server += " --live";
  for (const auto& e : o.elf) server += " --elf " + sh_quote(e);
  if (has_event) server += " --event " + std::to_string(o.event);
  // Recorded states are symbolized with the hypervisor's ELF (or, for a
  // host recording, the program its module table names); the live
  // replay's threads are fibers of the nestrr binary itself.
  std::string program = o.live ? self : o.elf.empty() ? std::string() : o.elf.front();
  if (program.empty()) {
    try {
      auto header = read_log_header(o.log);
      auto files = replay::logged_module_files(header ? &*header : nullptr);
      if (!files.empty()) program = files.front().string();
    } catch (const std::exception&) {
      // The server says what is wrong with the log.
    }
  }

  std::string script_path = (std::filesystem::temp_directory_path() / "nestrr-debug-XXXXXX").string();
  char* script = script_path.data();
  int fd = ::mkstemp(script);
  if (fd < 0) {
    spdlog::error("cannot create gdb's command file: {}", std::strerror(errno));
    return kExitFailed;
  }
  ::close(fd);
  {
    std::ofstream f(script);
    f << kGdbCommands;
    if (!f) {
      spdlog::error("cannot write gdb's command file {}", script);
      ::unlink(script);
      return kExitFailed;
    }
  }

  // The server answers every packet within about a second, but a long
  // log's `monitor event N` runs the replay that far: give gdb time.
  std::vector<std::string> args = {o.gdb, "-q", "-x", script, "-ex", "set remotetimeout 120",
                                   "-ex", "target remote | " + server};
  args.insert(args.end(), o.gdb_args.begin(), o.gdb_args.end());
  if (!program.empty()) args.push_back(program);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // gdb owns the terminal's ^C (it interrupts a long continue through the
  // protocol); this process only waits and cleans up.
  auto old_int = std::signal(SIGINT, SIG_IGN);
  pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGINT, SIG_DFL);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "nestrr: error: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  if (pid > 0) ::waitpid(pid, &status, 0);
  std::signal(SIGINT, old_int);
  ::unlink(script);
  if (pid < 0) {
    spdlog::error("cannot start {}: {}", o.gdb, std::strerror(errno));
    return kExitFailed;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status) == 127 ? kExitFailed : WEXITSTATUS(status);
  return kExitFailed;
}

}  // namespace

void register_debug(CLI::App& app, Run& run) {
  auto o = std::make_shared<DebugOptions>();
  CLI::App* sub = app.add_subcommand(
      "debug", "Open gdb on a log: the program, the server and nestrr's gdb commands in one step");
  sub->footer(
      "Runs: gdb -x CMDS -ex 'target remote | nestrr gdbserver LOG --stdio ...' PROGRAM\n"
      "where PROGRAM is the first --elf (recorded states; without one, the program a\n"
      "host recording's module table names) or this nestrr binary (--live).\n"
      "Defines in gdb: nestrr-event N (go to N and refresh registers and frames),\n"
      "nestrr-checkpoint and nestrr-restart ID (as rr's checkpoint/restart),\n"
      "nestrr-when, nestrr-timeline [K]; `monitor help` lists the server's commands.\n"
      "Arguments after -- go to gdb. Exit code: gdb's.\n"
      "Examples:\n"
      "  nestrr debug run.nrr --elf hv.elf\n"
      "  nestrr debug race.nrr --live\n"
      "  nestrr debug run.nrr --elf hv.elf -- -batch -ex 'info threads' -ex bt");
  sub->add_option("log", o->log, "Log file")->required()->check(CLI::ExistingFile);
  sub->add_option("--elf", o->elf, "ELF file of a logged module (repeatable); the first is gdb's program")
      ->allow_extra_args(false);  // one file each: what follows -- is gdb's
  auto* ev = sub->add_option("--event", o->event, "Start at this position (see nestrr gdbserver --help)");
  sub->add_flag("--live", o->live, "Debug the live replay of the core (logs of record/explore)");
  sub->add_option("--gdb", o->gdb, "The gdb to run")->capture_default_str();
  sub->add_option("gdb-args", o->gdb_args, "Arguments for gdb, after --");
  sub->callback([&run, o, ev] {
    run = [o, ev]() -> int {
      if (o->live && !o->elf.empty()) {
        spdlog::error("--live debugs the nestrr binary itself: give no --elf");
        return kExitUsage;
      }
      return run_debug(*o, ev->count() > 0);
    };
  });
}

}  // namespace nestrr::cli
