// `nestrr capture`: records a console stream (TCP relay, serial tty, file,
// stdin) into a log file, with live counters, until EOF, Ctrl-C or a limit.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>

#include "capture_progress.h"
#include "commands.h"
#include "log_input.h"
#include "nestrr/eventlog/loss.h"
#include "nestrr/eventlog/capture.h"
#include "nestrr/eventlog/source.h"

namespace nestrr::cli {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");

void on_signal(int) { g_stop.store(true); }

const char* end_name(eventlog::CaptureResult::End end) {
  switch (end) {
    case eventlog::CaptureResult::End::kEof: return "end of stream";
    case eventlog::CaptureResult::End::kStopped: return "stopped";
    case eventlog::CaptureResult::End::kByteLimit: return "byte limit reached";
    case eventlog::CaptureResult::End::kTimeout: return "time limit reached";
    case eventlog::CaptureResult::End::kWriteFailed: return "output failed";
  }
  return "?";
}

}  // namespace

void register_capture(CLI::App& app, Run& run) {
  struct Opts {
    std::string from;
    std::string out;
    std::optional<uint64_t> max_bytes;
    std::optional<double> timeout_s;
    bool append = false;
    bool quiet = false;
    std::optional<double> reconnect_s;
    bool strict = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "capture",
      "Capture a console stream into a log file. Bytes are written as they arrive, so the\n"
      "file stays readable if capture is killed; Ctrl-C stops cleanly.");
  sub->add_option("--from", o->from,
                  "Source: tcp:HOST:PORT (QEMU -serial tcp:, serial-over-LAN relays), "
                  "tty:/dev/ttyS0@115200, a file, or - for stdin")
      ->required();
  sub->add_option("-o,--output", o->out, "Log file to write (.nrr)")->required();
  sub->add_option("--max-bytes", o->max_bytes, "Stop after this many bytes");
  sub->add_option("--timeout", o->timeout_s, "Stop after this many seconds")->check(CLI::PositiveNumber);
  sub->add_flag("--append", o->append, "Append to an existing log instead of replacing it");
  sub->add_flag("-q,--quiet", o->quiet, "No live progress line");
  sub->add_option("--reconnect", o->reconnect_s,
                  "When the source closes (a serial-over-LAN relay dropping the connection), try "
                  "to reopen it for up to this many seconds and go on; the break is marked in the "
                  "log and what it lost shows as gaps (tcp: sources)")
      ->check(CLI::PositiveNumber);
  add_strict_flag(sub, o->strict);
  sub->callback([&run, o] {
    run = [o]() -> int {
      std::unique_ptr<eventlog::Source> source;
      try {
        source = eventlog::open_source(o->from);
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return kExitBadInput;
      }
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      // A file size limit is a failed write to report, not a signal to die of.
      std::signal(SIGXFSZ, SIG_IGN);
      eventlog::CaptureOptions opts;
      opts.stop = &g_stop;
      opts.max_bytes = o->max_bytes;
      opts.append = o->append;
      if (o->timeout_s)
        opts.timeout = std::chrono::milliseconds(static_cast<int64_t>(*o->timeout_s * 1000));
      opts.progress = capture_progress_line(o->quiet);
      if (o->reconnect_s)
        opts.reconnect = std::chrono::milliseconds(static_cast<int64_t>(*o->reconnect_s * 1000));
      opts.notice = [](const std::string& what) { spdlog::warn("{}", what); };
      opts.counts_only = true;  // a capture may run for hours
      spdlog::info("capturing {} into {}", source->describe(), o->out);
      eventlog::CaptureResult r = eventlog::capture(*source, o->out, opts);
      end_capture_progress_line(opts.progress);
      const auto& st = r.log.stats;
      spdlog::info("{}: {} bytes, {} frames ok, {} damaged, {} records, {} lost in transport, "
                   "{} dropped by the logger{}",
                   end_name(r.end), r.bytes, st.frames_ok, st.frames_damaged_total(), st.records,
                   st.records_lost_transport, st.records_dropped_logger,
                   r.reconnects ? ", " + std::to_string(r.reconnects) + " reconnects" : "");
      if (r.end == eventlog::CaptureResult::End::kWriteFailed) {
        spdlog::error("{}; the capture stopped there: the {} bytes before it are in {} as they "
                      "came (a log; a frame the failure cut reads as damaged)",
                      r.error, r.bytes, o->out);
        return kExitFailed;
      }
      if (r.late_records)
        spdlog::warn("{}: {} records came after later ones of their CPU and are not in the counts above "
                     "(`nestrr info {}` counts them)",
                     o->out, r.late_records, o->out);
      if (std::string loss = eventlog::loss_summary(r.log); !loss.empty())
        spdlog::warn("{}: captured with loss: {}", o->out, loss);
      return done(r.log, o->strict);
    };
  });
}

}  // namespace nestrr::cli
