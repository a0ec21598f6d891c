// Step-at-a-time replay for debuggers (live_replay.h).
#include "nestrr/replay/live_replay.h"

#include <map>
#include <new>

#include "expected_log.h"
#include "fixed_arena.h"
#include "nestrr/replay/fiber_traps.h"
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

// The machine lives in the replay's fixed arena: only destroyed there.
struct InPlace {
  void operator()(ReplayMachine* m) const { m->~ReplayMachine(); }
};

struct LiveReplay::Impl {
  explicit Impl(const eventlog::Log& log) : exp(log) {}
  ExpectedLog exp;
  ReplayOptions options;
  std::unique_ptr<FixedArena> arena;
  std::unique_ptr<ReplayMachine, InPlace> machine;
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
  const core_config cfg = to_core_config(impl_->exp.scenario());
  impl_->arena = std::make_unique<FixedArena>(sizeof(ReplayMachine) + core_phys_size(&cfg) +
                                              size_t{CORE_MAX_CPUS} * 1024 * 1024 + (size_t{16} << 20));
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
    // Rebuilt in the same place: the same addresses as before.
    impl_->machine.reset();
    impl_->arena->reset();
    void* at = impl_->arena->take(sizeof(ReplayMachine), alignof(ReplayMachine));
    impl_->machine.reset(new (at) ReplayMachine(impl_->exp, impl_->options, impl_->arena.get()));
    impl_->machine->start();
    impl_->keep(0);
  }
  impl_->over = false;
  steps_ = 0;
}

bool LiveReplay::step() {
  if (impl_->over) return false;
  const bool resuming = impl_->machine->paused_cpu() >= 0;
  if (!resuming)
    if (FiberTraps* t = FiberTraps::active()) t->new_step();
  if (!impl_->machine->step()) {
    impl_->over = true;
    return false;
  }
  if (impl_->machine->paused_cpu() >= 0) return true;
  steps_++;
  impl_->keep(steps_);
  return true;
}

bool LiveReplay::paused() const { return impl_->machine->paused_cpu() >= 0; }

std::optional<uint32_t> LiveReplay::paused_cpu() const {
  int c = impl_->machine->paused_cpu();
  if (c < 0) return std::nullopt;
  return static_cast<uint32_t>(c);
}

std::optional<uint32_t> LiveReplay::next_cpu() const {
  if (impl_->over) return std::nullopt;
  int c = impl_->machine->next_pick();
  if (c < 0) return std::nullopt;
  return static_cast<uint32_t>(c);
}

bool LiveReplay::can_trap_here() { return FiberTraps::supported(); }

uint64_t LiveReplay::seek(uint64_t step) {
  if (step != steps_ || paused()) {
    auto it = impl_->checkpoints.upper_bound(step);
    if (it != impl_->checkpoints.begin()) {
      --it;
      // From the checkpoint when going back, or when it is nearer ahead.
      if (step < steps_ || it->first > steps_ || paused()) {
        impl_->machine->restore(*it->second);
        impl_->over = false;
        steps_ = it->first;
      }
    } else if (step < steps_ || paused()) {
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

std::optional<uint32_t> LiveReplay::failed_cpu() const {
  const auto& f = impl_->machine->failure();
  if (!f) return std::nullopt;
  return f->cpu;
}

uint64_t LiveReplay::records_checked(uint32_t cpu) const { return impl_->machine->next_record(cpu); }

uint64_t LiveReplay::record_count(uint32_t cpu) const { return impl_->exp.record_count(cpu); }

uint64_t LiveReplay::record_seq(uint32_t cpu, uint64_t index) const { return impl_->exp.record_seq(cpu, index); }

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
