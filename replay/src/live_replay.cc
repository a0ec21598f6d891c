// Step-at-a-time replay for debuggers (live_replay.h).
#include "nestrr/replay/live_replay.h"

#include "expected_log.h"
#include "nestrr/replay/point_names.h"
#include "replay_machine.h"

namespace nestrr::replay {

struct LiveReplay::Impl {
  ExpectedLog exp;
  ReplayOptions options;
  std::unique_ptr<ReplayMachine> machine;
  bool over = false;
};

LiveReplay::LiveReplay(const eventlog::Log& log) : impl_(std::make_unique<Impl>()) {
  impl_->exp = expected_from(log);
  impl_->options.symbolize = false;
  impl_->options.trace_limit = 1;  // the debugger does not need the trace
  restart();
}

LiveReplay::~LiveReplay() = default;

uint32_t LiveReplay::cpu_count() const { return impl_->exp.scenario.cpu_count(); }

void LiveReplay::restart() {
  impl_->machine.reset();  // its fibers' stacks go with it
  impl_->machine = std::make_unique<ReplayMachine>(impl_->exp, impl_->options);
  impl_->machine->start();
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
  return true;
}

std::optional<uint32_t> LiveReplay::last_cpu() const {
  int c = impl_->machine->last_stepped();
  if (c < 0 || steps_ == 0) return std::nullopt;
  return static_cast<uint32_t>(c);
}

uint64_t LiveReplay::records_checked() const { return impl_->machine->records_checked(); }

const core& LiveReplay::core_state() const { return impl_->machine->core_state(); }

const std::optional<Divergence>& LiveReplay::divergence() const {
  return impl_->machine->divergence();
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
