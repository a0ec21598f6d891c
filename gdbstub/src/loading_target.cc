// The target that answers while the real one is built (loading_target.h).
#include "nestrr/gdbstub/loading_target.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace nestrr::gdbstub {

LoadingTarget::LoadingTarget(Setup setup, Build build) : setup_(std::move(setup)) {
  std::packaged_task<std::unique_ptr<Target>()> task([this, build = std::move(build)] {
    return build(Signals{cancel_, shown_start_});
  });
  future_ = task.get_future();
  thread_ = std::thread(std::move(task));
}

LoadingTarget::~LoadingTarget() {
  cancel_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string LoadingTarget::error() const { return error_; }

std::string LoadingTarget::loading_text() const {
  std::string p = setup_.progress ? setup_.progress() : std::string();
  return "the log is still being read" + (p.empty() ? std::string() : " (" + p + ")") +
         "; this is the start of the history, and continue waits for the log and runs from there";
}

bool LoadingTarget::take(std::chrono::milliseconds wait) {
  if (target_) return true;
  if (!error_.empty() || !future_.valid()) return false;
  if (future_.wait_for(wait) != std::future_status::ready) return false;
  try {
    target_ = future_.get();
  } catch (const std::exception& e) {
    error_ = e.what();
    spdlog::error("{}", error_);
    return false;
  }
  if (thread_.joinable()) thread_.join();
  if (!showing_start_) hand_over();
  return target_ != nullptr;
}

void LoadingTarget::hand_over() {
  if (showing_start_) {
    std::string why;
    target_->seek(0, why);
    showing_start_ = false;
  }
  if (points_applied_) return;
  points_applied_ = true;
  for (uint64_t a : breakpoints_)
    if (!target_->insert_breakpoint(a)) spdlog::warn("no breakpoint can stand at {:#x}: it is dropped", a);
  for (const Watch& w : watches_)
    if (!target_->insert_watchpoint(w.kind, w.addr, w.len))
      spdlog::warn("the watchpoint at {:#x} ({} bytes) cannot be kept: it is dropped", w.addr, w.len);
}

Target* LoadingTarget::state() {
  if (showing_start_) return nullptr;
  if (take(setup_.budget)) return target_.get();
  showing_start_ = true;
  shown_start_ = true;
  spdlog::info("the log takes long to prepare: gdb is shown the start of the history; "
               "its next continue waits for the log and runs from there");
  return nullptr;
}

bool LoadingTarget::wait_ready() {
  while (!take(std::chrono::milliseconds(1000))) {
    if (!error_.empty()) return false;
    if (setup_.progress) spdlog::info("preparing the log: {}", setup_.progress());
  }
  return true;
}

std::string LoadingTarget::thread_description(uint32_t cpu) {
  if (Target* t = state()) return t->thread_description(cpu);
  return fmt::format("cpu{}: the log is still being read", cpu);
}

CpuRegisters LoadingTarget::registers(uint32_t cpu) {
  if (Target* t = state()) return t->registers(cpu);
  return {};
}

std::string LoadingTarget::read_memory(uint64_t addr, size_t len) {
  if (Target* t = state()) return t->read_memory(addr, len);
  return setup_.read_memory ? setup_.read_memory(addr, len) : std::string();
}

bool LoadingTarget::insert_breakpoint(uint64_t addr) {
  if (std::find(breakpoints_.begin(), breakpoints_.end(), addr) == breakpoints_.end()) breakpoints_.push_back(addr);
  if (target_ && points_applied_) return target_->insert_breakpoint(addr);
  return true;  // handed over with the target
}

void LoadingTarget::remove_breakpoint(uint64_t addr) {
  std::erase(breakpoints_, addr);
  if (target_ && points_applied_) target_->remove_breakpoint(addr);
}

bool LoadingTarget::insert_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) {
  if (target_ && points_applied_) return target_->insert_watchpoint(kind, addr, len);
  std::erase_if(watches_, [&](const Watch& w) { return w.kind == kind && w.addr == addr && w.len == len; });
  watches_.push_back({kind, addr, len});
  return true;
}

bool LoadingTarget::remove_watchpoint(WatchKind kind, uint64_t addr, uint64_t len) {
  std::erase_if(watches_, [&](const Watch& w) { return w.kind == kind && w.addr == addr && w.len == len; });
  if (target_ && points_applied_) return target_->remove_watchpoint(kind, addr, len);
  return true;
}

Stop LoadingTarget::resume(const ResumeRequest& req) {
  if (!target_) {
    if (req.direction == Direction::kBackward) {
      // Nothing is before the start gdb was shown.
      showing_start_ = true;
      shown_start_ = true;
      return Stop{Stop::Why::kHistoryBegin, 0};
    }
    auto next_report = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!take(std::chrono::milliseconds(100))) {
      if (!error_.empty()) return Stop{Stop::Why::kHistoryEnd, 0};
      if (req.interrupted && req.interrupted()) {
        showing_start_ = true;
        shown_start_ = true;
        return Stop{Stop::Why::kInterrupted, 0};
      }
      if (std::chrono::steady_clock::now() >= next_report) {
        if (setup_.progress) spdlog::info("preparing the log: {}", setup_.progress());
        next_report += std::chrono::seconds(1);
      }
    }
  }
  hand_over();
  return target_->resume(req);
}

Stop LoadingTarget::current_stop() {
  if (Target* t = state()) return t->current_stop();
  return Stop{Stop::Why::kStep, 0};
}

uint64_t LoadingTarget::position() {
  if (Target* t = state()) return t->position();
  return 0;
}

uint64_t LoadingTarget::history_length() {
  if (Target* t = state()) return t->history_length();
  return 1;
}

bool LoadingTarget::seek(uint64_t position, std::string& why) {
  if (!take(setup_.budget)) {
    why = loading_text();
    return false;
  }
  hand_over();
  return target_->seek(position, why);
}

std::string LoadingTarget::describe(uint64_t position) {
  if (Target* t = state()) return t->describe(position);
  return fmt::format("{}: {}", position, loading_text());
}

std::string LoadingTarget::when() {
  if (Target* t = state()) return t->when();
  return "position 0: " + loading_text();
}

std::string LoadingTarget::cpu_report(uint32_t cpu) {
  if (Target* t = state()) return t->cpu_report(cpu);
  return fmt::format("cpu{}: {}", cpu, loading_text());
}

std::optional<uint64_t> LoadingTarget::find_event(EventKind kind, std::optional<uint32_t> cpu, Direction dir,
                                                  std::string& what) {
  if (Target* t = state()) return t->find_event(kind, cpu, dir, what);
  what = loading_text();
  return std::nullopt;
}

uint64_t LoadingTarget::save_place() {
  if (Target* t = state()) return t->save_place();
  return 0;  // nothing to remember: the start, while loading
}

bool LoadingTarget::restore_place(uint64_t id, std::string& why) {
  if (!take(setup_.budget)) {
    why = loading_text();
    return false;
  }
  hand_over();
  return target_->restore_place(id, why);
}

}  // namespace nestrr::gdbstub
