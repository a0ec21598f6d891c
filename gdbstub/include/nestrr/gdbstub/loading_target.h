// A target that answers gdb at once while the real one is built in the
// background (reading a long log, the live replay's first pass). gdb gives
// up on a reply that takes longer than its remotetimeout (2 s by default)
// and then falls out of step with the server; only the stop reply to a
// resume may take as long as it takes. So what gdb asks first (the CPU
// count, the architecture, qOffsets) comes from the log's header, and a
// question about the state waits for the real target only up to a budget:
// past it, gdb is shown the start of the history (no CPU has run, no
// registers), as rr starts, and the next resume waits for the real target,
// goes to its start and resumes from there. Breakpoints and watchpoints
// set meanwhile are kept and handed over.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nestrr/gdbstub/target.h"

namespace nestrr::gdbstub {

class LoadingTarget : public Target {
 public:
  struct Setup {
    Arch arch = Arch::kX86_64;
    uint32_t cpu_count = 1;
    std::optional<uint64_t> executable_offset;
    std::optional<std::string> auxv;
    // Memory while the real target is not there yet (may be empty).
    std::function<std::string(uint64_t, size_t)> read_memory;
    // How far the building has got, for `monitor when` and progress lines.
    std::function<std::string()> progress;
    // How long a question about the state may wait for the real target.
    std::chrono::milliseconds budget{800};
  };
  // What the building thread is told while it works: stop (throwing) once
  // `cancel` is set; once `shown_start` is, gdb has been shown the start
  // and the real target will be taken to its start: work that only
  // decides where else to start can end.
  struct Signals {
    const std::atomic<bool>& cancel;
    const std::atomic<bool>& shown_start;
  };
  // Builds the real target on a thread of its own; anything it throws is
  // logged and ends the session at the next resume.
  using Build = std::function<std::unique_ptr<Target>(const Signals&)>;
  LoadingTarget(Setup setup, Build build);
  ~LoadingTarget() override;

  // Waits for the real target without a limit; false when building failed.
  bool wait_ready();
  // The reason building failed (empty while it has not).
  std::string error() const;
  // The real target once it is in use.
  Target* real() { return showing_start_ ? nullptr : target_.get(); }

  Arch arch() const override { return setup_.arch; }
  uint32_t cpu_count() const override { return setup_.cpu_count; }
  std::string thread_description(uint32_t cpu) override;
  CpuRegisters registers(uint32_t cpu) override;
  std::string read_memory(uint64_t addr, size_t len) override;
  bool insert_breakpoint(uint64_t addr) override;
  void remove_breakpoint(uint64_t addr) override;
  bool insert_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) override;
  bool remove_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) override;
  Stop resume(const ResumeRequest& request) override;
  Stop current_stop() override;
  uint64_t position() override;
  uint64_t history_length() override;
  bool seek(uint64_t position, std::string& why) override;
  std::string describe(uint64_t position) override;
  std::string when() override;
  std::string cpu_report(uint32_t cpu) override;
  std::optional<uint64_t> find_event(EventKind kind, std::optional<uint32_t> cpu, Direction dir,
                                     std::string& what) override;
  std::optional<std::string> auxv() override { return setup_.auxv; }
  uint64_t save_place() override;
  bool restore_place(uint64_t id, std::string& why) override;
  std::optional<uint64_t> executable_offset() override { return setup_.executable_offset; }

 private:
  // The real target to ask now, or null: then gdb is shown the start.
  Target* state();
  // Takes the built target if it is there within `wait`.
  bool take(std::chrono::milliseconds wait);
  // From showing the start to the real target: its start, the points set.
  void hand_over();
  std::string loading_text() const;

  Setup setup_;
  std::atomic<bool> cancel_{false}, shown_start_{false};
  std::future<std::unique_ptr<Target>> future_;
  std::thread thread_;
  std::unique_ptr<Target> target_;
  std::string error_;
  bool showing_start_ = false;  // gdb was shown the start: it must stay so until a resume
  bool points_applied_ = false;
  std::vector<uint64_t> breakpoints_;
  struct Watch {
    WatchKind kind;
    uint64_t addr, len;
  };
  std::vector<Watch> watches_;
};

}  // namespace nestrr::gdbstub
