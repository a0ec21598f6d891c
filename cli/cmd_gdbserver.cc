// `nestrr gdbserver`: serve a log to gdb over TCP or stdio, as recorded
// states (any log) or, with --live, as the live deterministic replay.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>

#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/gdbstub/connection.h"
#include "nestrr/gdbstub/live_target.h"
#include "nestrr/gdbstub/recorded_target.h"
#include "nestrr/gdbstub/server.h"
#include "nestrr/gdbstub/transport.h"
#include "stack_input.h"

namespace nestrr::cli {
namespace {

struct GdbserverOptions {
  StackInputOptions in;
  uint64_t event = 0;
  uint16_t port = 0;
  bool stdio = false, all_interfaces = false, live = false, once = false;
};

constexpr int kExitInterrupted = 130;  // 128 + SIGINT, as a shell reports ^C

void on_shutdown_signal(int) { gdbstub::request_shutdown(); }

// SIGINT/SIGTERM end the server at its next wait; no SA_RESTART, so that
// the signal breaks a blocking accept or read.
void install_shutdown_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_shutdown_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The common end of both modes: a server stopped by a signal says so.
int stopped(const char* how) {
  if (!gdbstub::shutdown_requested()) return kExitOk;
  spdlog::info("interrupted: {}", how);
  return kExitInterrupted;
}

int serve(gdbstub::Target& target, const GdbserverOptions& o) {
  gdbstub::GdbServer server(target);
  if (o.stdio) {
    // gdb owns a --stdio server: its ^C arrives as the protocol's
    // interrupt, and a terminal's SIGINT to gdb's group must not end it.
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGTERM, on_shutdown_signal);
    gdbstub::Connection c(STDIN_FILENO, STDOUT_FILENO);
    server.serve(c);
    return stopped("server stopped");
  }
  install_shutdown_signals();
  gdbstub::Listener listener(o.port, o.all_interfaces);
  const char* host = o.all_interfaces ? "0.0.0.0" : "127.0.0.1";
  spdlog::info("listening on {}:{} (gdb: target remote :{})", host, listener.port(), listener.port());
  // Like a test box's debug port, the server outlives its clients: gdb
  // may detach and attach again at the same position. `kill`, --once or
  // a signal end it.
  for (;;) {
    int fd = listener.accept_client();
    if (fd < 0) return stopped("no more clients; port closed");
    gdbstub::Connection c(fd, fd);
    server.serve(c);
    ::close(fd);
    if (gdbstub::shutdown_requested()) return stopped("client disconnected; port closed");
    if (server.killed()) {
      spdlog::info("killed by the client: stopping");
      return kExitOk;
    }
    if (o.once) {
      spdlog::info("client gone; --once: stopping");
      return kExitOk;
    }
    spdlog::info("client gone; waiting for the next on {}:{} (kill in gdb or ^C here stops)", host,
                 listener.port());
  }
}

int run_recorded(const GdbserverOptions& o, bool has_event) {
  StackInputOptions in = o.in;
  std::unique_ptr<symbolize::Symbolizer> sym;
  std::optional<eventlog::Log> log;
  if (in.elf.empty() && in.debug_dirs.empty()) {
    log = open_log(in.log);
    if (!log) return kExitBadInput;
  } else {
    int code = 0;
    auto opened = open_stack_input(in, false, code);
    if (!opened) return code;
    log = std::move(opened->log);
    sym = std::move(opened->symbolizer);
  }
  std::unique_ptr<gdbstub::RecordedTarget> target;
  try {
    target = std::make_unique<gdbstub::RecordedTarget>(
        std::move(*log), std::move(sym), has_event ? std::optional<uint64_t>(o.event) : std::nullopt);
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}: {}", in.log, e.what());
    return kExitBadInput;
  }
  spdlog::info("recorded states: {}", target->when());
  return serve(*target, o);
}

int run_live(const GdbserverOptions& o, bool has_event) {
  auto log = open_log(o.in.log);
  if (!log) return kExitBadInput;
  std::unique_ptr<gdbstub::LiveTarget> target;
  try {
    target = std::make_unique<gdbstub::LiveTarget>(
        *log, has_event ? std::optional<uint64_t>(o.event) : std::nullopt);
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}: {}", o.in.log, e.what());
    return kExitBadInput;
  }
  if (has_event) {
    // A start position is checked against the whole replay: pass first.
    try {
      target->settle();
    } catch (const std::invalid_argument& e) {
      spdlog::error("{}: {}", o.in.log, e.what());
      return kExitBadInput;
    }
    spdlog::info("live replay: {}", target->when());
  } else {
    spdlog::info("live replay of {} CPUs: the first pass runs when gdb first asks for the state",
                 target->cpu_count());
  }
  int code = serve(*target, o);
  if (target->replay().divergence()) spdlog::warn("{}", target->replay().divergence()->message());
  return code;
}

}  // namespace

void register_gdbserver(CLI::App& app, Run& run) {
  auto o = std::make_shared<GdbserverOptions>();
  CLI::App* sub = app.add_subcommand(
      "gdbserver",
      "Let gdb attach to a log: threads are CPUs; continue, step and their reverse move in the history");
  sub->footer(
      "Recorded states (default, any log): registers are the latest each CPU logged,\n"
      "memory the latest snapshot and the ELF files' sections; c/bc go to the next or\n"
      "previous event in a function with a breakpoint, stepi/reverse-stepi one event.\n"
      "--live: re-execute the core (logs of `nestrr record`/`explore`) in this process;\n"
      "threads are the replay's vCPU fibers with their real stacks: give gdb the\n"
      "nestrr binary itself (`gdb path/to/nestrr`).\n"
      "In gdb: `monitor help` lists event N, when, timeline [K], cpu N.\n"
      "Over TCP the server stays up when gdb detaches and serves the next client;\n"
      "gdb's `kill`, --once, ^C or SIGTERM stop it (exit 130 on a signal). With\n"
      "--stdio, gdb's ^C interrupts a long continue and the server ignores SIGINT.\n"
      "Examples:\n"
      "  nestrr gdbserver run.nrr --elf hv.elf --port 1234   then  gdb hv.elf -ex 'target remote :1234'\n"
      "  gdb hv.elf -ex 'target remote | nestrr gdbserver run.nrr --elf hv.elf --stdio'");
  sub->add_option("log", o->in.log, "Log file (- for stdin)")->required();
  sub->add_option("--elf", o->in.elf, "ELF file of a logged module (repeatable), matched by build-id");
  sub->add_option("--debug-dir", o->in.debug_dirs, "Find files by build-id in DIR/.build-id (repeatable)");
  auto* ev = sub->add_option("--event", o->event, "Start at this event of the merged timeline (--live: this scheduler step); default: the first assertion failure (--live: the end of the replay), else the last event");
  auto* port = sub->add_option("--port", o->port, "TCP port to listen on (0: any free port, printed on stderr)");
  auto* stdio = sub->add_flag("--stdio", o->stdio, "Speak the protocol on stdin/stdout (gdb: target remote | nestrr gdbserver ... --stdio)");
  port->excludes(stdio);
  sub->add_flag("--all-interfaces", o->all_interfaces, "Listen on every interface, not only loopback");
  sub->add_flag("--once", o->once, "Over TCP: stop when the first client detaches or goes away");
  sub->add_flag("--live", o->live, "Live replay of the core instead of recorded states");
  sub->callback([&run, o, ev, port, stdio] {
    run = [o, ev, port, stdio]() -> int {
      if (!port->count() && !stdio->count()) {
        spdlog::error("give --port N or --stdio");
        return kExitUsage;
      }
      if (o->live) {
        if (!o->in.elf.empty() || !o->in.debug_dirs.empty())
          spdlog::warn("--live debugs this nestrr process itself: --elf and --debug-dir are not used");
        return run_live(*o, ev->count() > 0);
      }
      return run_recorded(*o, ev->count() > 0);
    };
  });
}

}  // namespace nestrr::cli
