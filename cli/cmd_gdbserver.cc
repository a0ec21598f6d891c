// `nestrr gdbserver`: serve a log to gdb over TCP or stdio, as recorded
// states (any log) or, with --live, as the live deterministic replay.
#include <spdlog/spdlog.h>
#include <sys/uio.h>
#include <unistd.h>

#include <csignal>

#include <memory>

#include "commands.h"
#include "log_input.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/eventlog/not_a_log.h"
#include "nestrr/gdbstub/connection.h"
#include "nestrr/gdbstub/live_target.h"
#include "nestrr/gdbstub/loading_target.h"
#include "nestrr/replay/host_modules.h"
#include "nestrr/gdbstub/recorded_target.h"
#include "nestrr/gdbstub/server.h"
#include "nestrr/gdbstub/transport.h"
#include "log_loading.h"
#include "module_files.h"
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

// How long the server waits for the log before it shows gdb the start of
// the history (gdb's remotetimeout is 2 s).
constexpr std::chrono::milliseconds kAnswerBudget{800};

bool read_self(uint64_t addr, void* out, size_t len) {
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  return ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

// The log is read, and the target built, on a thread of its own while the
// server already answers (loading_target.h); with --event the server waits
// for it, so that a position past the end is refused before serving.
int serve_loading(gdbstub::LoadingTarget& target, const GdbserverOptions& o, bool has_event) {
  if (has_event) {
    if (!target.wait_ready()) return kExitBadInput;
    spdlog::info("{}", target.when());
  }
  int code = serve(target, o);
  if (!target.error().empty() && code == kExitOk) return kExitBadInput;
  return code;
}

int run_recorded(const GdbserverOptions& o, bool has_event) {
  std::optional<nestrr::v1::Header> header;
  try {
    header = read_log_header(o.in.log);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }
  auto modules = open_modules(header ? &*header : nullptr, {o.in.elf, o.in.debug_dirs});
  if (!modules) return kExitBadInput;
  for (auto& name : modules->unresolved())
    spdlog::warn("module {}: no ELF file (give --elf or --debug-dir)", name);
  gdbstub::LoadingTarget::Setup setup;
  setup.budget = kAnswerBudget;
  if (header && header->address_bits() == 32) setup.arch = gdbstub::Arch::kI386;
  setup.cpu_count = header && header->cpu_count() ? header->cpu_count() : 1;
  if (!modules->empty()) setup.executable_offset = modules->modules().front().load_bias;
  auto progress = std::make_shared<LoadProgress>();
  setup.progress = [progress] { return progress->text(); };
  std::shared_ptr<symbolize::ModuleSet> shared_modules;
  if (!modules->empty()) shared_modules = std::make_shared<symbolize::ModuleSet>(std::move(*modules));
  const std::string path = o.in.log;
  const std::optional<uint64_t> start = has_event ? std::optional<uint64_t>(o.event) : std::nullopt;
  const bool known_cpus = header && header->cpu_count();
  gdbstub::LoadingTarget target(std::move(setup), [=](const gdbstub::LoadingTarget::Signals& signals) {
    eventlog::Log log = read_log_gradually(path, *progress, signals.cancel);
    eventlog::require_log(log, path);  // empty, text, another format: said as such
    if (std::string loss = eventlog::loss_summary(log); !loss.empty())
      spdlog::warn("{}: read with loss: {}", path, loss);
    progress->phase = "merging the CPUs' events";
    std::unique_ptr<symbolize::Symbolizer> sym;
    if (shared_modules) sym = std::make_unique<symbolize::Symbolizer>(*shared_modules);
    std::unique_ptr<gdbstub::Target> t = std::make_unique<gdbstub::RecordedTarget>(std::move(log), std::move(sym), start);
    progress->phase = "ready";
    return t;
  });
  // Without a CPU count in the header, the threads are known only from
  // the whole log.
  if (!known_cpus && !has_event && !target.wait_ready()) return kExitBadInput;
  if (!has_event) spdlog::info("recorded states: serving while the log is read");
  return serve_loading(target, o, has_event);
}

int run_live(const GdbserverOptions& o, bool has_event) {
  std::optional<nestrr::v1::Header> header;
  try {
    header = read_log_header(o.in.log);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }
  if (!header || !header->cpu_count()) {
    spdlog::error("{}: no header with a CPU count: not a log that can be replayed", o.in.log);
    return kExitBadInput;
  }
  gdbstub::LoadingTarget::Setup setup;
  setup.budget = kAnswerBudget;
  setup.cpu_count = header->cpu_count();
  uint64_t bias = replay::this_program().load_bias;
  setup.executable_offset = bias;
  setup.read_memory = [](uint64_t addr, size_t len) {
    std::string out(len, '\0');
    if (!read_self(addr, out.data(), len)) out.clear();
    return out;
  };
  auto progress = std::make_shared<LoadProgress>();
  setup.progress = [progress] { return progress->text(); };
  const std::string path = o.in.log;
  const std::optional<uint64_t> start = has_event ? std::optional<uint64_t>(o.event) : std::nullopt;
  setup.auxv = gdbstub::LiveTarget::own_auxv();
  gdbstub::LoadingTarget target(std::move(setup), [=](const gdbstub::LoadingTarget::Signals& signals) {
    eventlog::Log log = read_log_gradually(path, *progress, signals.cancel);
    eventlog::require_log(log, path);
    if (std::string loss = eventlog::loss_summary(log); !loss.empty())
      spdlog::warn("{}: read with loss: {}", path, loss);
    progress->phase = "preparing the replay";
    auto t = std::make_unique<gdbstub::LiveTarget>(log, start);
    progress->phase = "replaying the run to find where it ends";
    // The pass to the end stops once gdb has been shown the start.
    t->settle(std::chrono::milliseconds::max(), &signals.shown_start);
    progress->phase = "ready";
    return std::unique_ptr<gdbstub::Target>(std::move(t));
  });
  if (!has_event) spdlog::info("live replay of {} CPUs: serving while the log is read and replayed", header->cpu_count());
  int code = serve_loading(target, o, has_event);
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
