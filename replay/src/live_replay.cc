// Step-at-a-time replay for debuggers (live_replay.h).
#include "nestrr/replay/live_replay.h"

#include <map>

#include "expected_log.h"
#include "nestrr/replay/point_names.h"
#include "replay_machine.h"

namespace nestrr::replay {

namespace {
// A checkpoint every this many steps at first; the interval doubles (and
// every other checkpoint goes) whenever they would take more memory than
// kCheckpointBudget.
constexpr uint64_t kCheckpointInterval = 32 * 1024;
constexpr size_t kCheckpointBudget = size_t{1} << 30;
}  // namespace

struct LiveReplay::Impl {
  explicit Impl(const eventlog::Log& log) : exp(log) {}
  ExpectedLog exp;
  ReplayOptions options;
  std::unique_ptr<ReplayMachine> machine;
  bool over = false;
  std::map<uint64_t, std::unique_ptr<ReplayCheckpoint>> checkpoints;  // by step
  uint64_t interval = kCheckpointInterval;
  size_t bytes = 0;

  void keep(uint64_t step) {
    if (!ReplayMachine::can_checkpoint() || step % interval || checkpoints.count(step)) return;
    auto c = machine->checkpoint();
    bytes += ReplayMachine::checkpoint_bytes(*c);
    checkpoints.emplace(step, std::move(c));
    while (bytes > kCheckpointBudget && checkpoints.size() > 2) {
      interval *= 2;
      for (auto it = checkpoints.begin(); it != checkpoints.end();) {
        if (it->first % interval) {
          bytes -= ReplayMachine::checkpoint_bytes(*it->second);
          it = checkpoints.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
};

LiveReplay::LiveReplay(const eventlog::Log& log) : impl_(std::make_unique<Impl>(log)) {
  impl_->options.symbolize = false;
  impl_->options.trace = false;  // the debugger does not need the trace
  restart();
}

LiveReplay::~LiveReplay() = default;

uint32_t LiveReplay::cpu_count() const { return impl_->exp.scenario().cpu_count(); }

void LiveReplay::restart() {
  if (impl_->machine && impl_->checkpoints.count(0)) {
    impl_->machine->restore(*impl_->checkpoints.at(0));
  } else {
    impl_->machine.reset();  // its fibers' stacks go with it
    impl_->machine = std::make_unique<ReplayMachine>(impl_->exp, impl_->options);
    impl_->machine->start();
    impl_->keep(0);
  }
  impl_->over = false;
  steps_ = 0;
}

bool LiveReplay::step() {
  if (impl_->over) return false;
  if (!impl_->machine->step()) {
    impl_->over = true;
    return false;
  }
  steps_++;
  impl_->keep(steps_);
  return true;
}

uint64_t LiveReplay::seek(uint64_t step) {
  if (step != steps_) {
    auto it = impl_->checkpoints.upper_bound(step);
    if (it != impl_->checkpoints.begin()) {
      --it;
      // From the checkpoint when going back, or when it is nearer ahead.
      if (step < steps_ || it->first > steps_) {
        impl_->machine->restore(*it->second);
        impl_->over = false;
        steps_ = it->first;
      }
    } else if (step < steps_) {
      restart();
    }
  }
  uint64_t ran = 0;
  while (steps_ < step && this->step()) ran++;
  return ran;
}

bool LiveReplay::can_checkpoint_here() { return ReplayMachine::can_checkpoint(); }

size_t LiveReplay::checkpoint_count() const { return impl_->checkpoints.size(); }
size_t LiveReplay::checkpoint_bytes() const { return impl_->bytes; }

std::optional<uint32_t> LiveReplay::last_cpu() const {
  int c = impl_->machine->last_stepped();
  if (c < 0 || steps_ == 0) return std::nullopt;
  return static_cast<uint32_t>(c);
}

uint64_t LiveReplay::records_checked() const { return impl_->machine->records_checked(); }

const core& LiveReplay::core_state() const { return impl_->machine->core_state(); }

bool LiveReplay::owns(uint64_t addr, uint64_t len) const {
  return impl_->machine->owns(reinterpret_cast<const void*>(addr), len);
}

const std::optional<Divergence>& LiveReplay::divergence() const {
  return impl_->machine->divergence();
}

const std::optional<Divergence>& LiveReplay::lost() const { return impl_->machine->lost(); }

const ucontext_t* LiveReplay::context(uint32_t cpu) const {
  const Fiber* f = impl_->machine->fiber(cpu);
  return f && f->started() ? &f->context() : nullptr;
}

StackBounds LiveReplay::stack(uint32_t cpu) const {
  const Fiber* f = impl_->machine->fiber(cpu);
  return f ? f->stack() : StackBounds{};
}

ParkedVcpu LiveReplay::vcpu(uint32_t cpu) const {
  ReplayMachine::VcpuView v = impl_->machine->view(cpu);
  ParkedVcpu p;
  p.in_nmi = v.in_nmi;
  p.progress = v.progress;
  p.records_checked = v.next_record;
  if (v.fiber) p.stack = v.fiber->stack();
  if (!v.fiber || !v.fiber->started()) {
    p.state = ParkedVcpu::State::kNotStarted;
    p.detail = "not started";
    return p;
  }
  p.context = &v.fiber->context();
  if (v.halted) {
    p.state = ParkedVcpu::State::kHalted;
    p.detail = "halted";
  } else if (v.cut) {
    p.state = ParkedVcpu::State::kCut;
    p.detail = "stopped where the recording ended";
  } else if (v.finished) {
    p.state = ParkedVcpu::State::kFinished;
    p.detail = "workload done (idle)";
  } else if (v.blocked) {
    p.state = ParkedVcpu::State::kBlocked;
    p.detail = "blocked: " + v.block_reason;
  } else {
    p.state = ParkedVcpu::State::kParked;
    p.detail = "at " + point_name(v.last_point);
  }
  if (v.in_nmi) p.detail += " (in the NMI handler)";
  return p;
}

}  // namespace nestrr::replay
