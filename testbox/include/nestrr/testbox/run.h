// Running the testbox image under qemu-system-x86_64: the QEMU command
// line, COM1 captured live from QEMU's stdout into a log file through
// eventlog's capture, and how the run ended (QEMU's isa-debug-exit
// status, a timeout, or QEMU failing).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nestrr/eventlog/capture.h"
#include "nestrr/eventlog/log.h"

namespace nestrr::testbox {

struct TestboxOptions {
  std::filesystem::path image;               // nestrr-testbox.elf
  std::string qemu = "qemu-system-x86_64";
  std::string variant = "vmxon-two-flags";
  uint32_t cpus = 2;                         // CPUs running the core (QEMU gets one more)
  std::vector<std::string> workload;         // per CPU ("l1", "remap", ...); sets cpus
  uint64_t iterations = 0;                   // per CPU; 0 = until stopped
  uint64_t seed = 0;
  std::vector<std::string> widen;            // "vmxon:20000"
  bool flight = false;                       // log=flight
  bool paced = true;                         // log=paced (stream, nothing dropped); false: log=stream
  std::vector<std::string> extra_append;     // more kernel command-line words
  std::chrono::milliseconds timeout{60'000};  // QEMU is killed after this
  // The image stops every CPU after this much guest time and ends its log
  // (cuts and trailers): a timed run that replays. 0 = three quarters of
  // `timeout` (at most timeout - 5 s), leaving the rest for the drain.
  std::chrono::milliseconds time_limit{0};
  // QEMU's gdbstub on 127.0.0.1:port, CPUs stopped until gdb continues.
  std::optional<uint16_t> gdb_port;
  std::function<void(const eventlog::CaptureProgress&)> progress;
};

struct TestboxResult {
  enum class End { kAssertion, kCompleted, kTimeLimit, kPanic, kTimeout, kQemuFailed } end = End::kQemuFailed;
  int qemu_status = -1;     // exit status, or -signal
  std::string qemu_stderr;  // what QEMU said (its own errors)
  uint64_t bytes = 0;       // captured
  eventlog::Log log;        // the capture, decoded
};

const char* end_name(TestboxResult::End end);

// $NESTRR_TESTBOX_IMAGE if set, else the image this build made.
std::filesystem::path default_image();
// The QEMU binary as a path: `qemu` itself if it has a slash, else the
// first executable of that name on $PATH; nullopt if there is none.
std::optional<std::filesystem::path> find_qemu(const std::string& qemu);

// The image's time limit for these options (time_limit, or its default).
std::chrono::milliseconds image_time_limit(const TestboxOptions& o);
// The kernel command line the image parses (hypervisor/testbox/README.md).
std::string kernel_command_line(const TestboxOptions& o);
// argv of QEMU: TCG multi-threaded, cpus + 1 CPUs, COM1 on stdio,
// isa-debug-exit, no reboot, no display.
std::vector<std::string> qemu_command(const TestboxOptions& o);

// Starts QEMU, captures COM1 into `output` until QEMU exits or the timeout
// passes (then QEMU is killed). Throws std::runtime_error if QEMU cannot be
// started or the output not written; a QEMU that starts and fails is
// End::kQemuFailed with its stderr.
TestboxResult run_testbox(const TestboxOptions& o, const std::filesystem::path& output);

}  // namespace nestrr::testbox
