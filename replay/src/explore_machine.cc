// One explored run (explore_machine.h). Scheduling mirrors replay's: a CPU
// stops at every point and wait_until; an NMI is taken right after the
// point it stopped at, inside a wait, or at the idle point once the
// workload is done: the positions platform.h allows, so replay delivers
// each where its logged count says. A CPU spinning in a wait (a lock, the
// quiesce acks, the release) takes NMIs like any other and its handler runs
// unblocked by that wait; NMIs are held back only while the CPU is in its
// handler. Every decision is kept (ExploreDecision) so a schedule can be
// taken again, and minimized.
#include "explore_machine.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "nestrr/replay/core_host.h"
#include "nestrr/replay/log_forward.h"
#include "nestrr/replay/point_names.h"

namespace nestrr::replay {
namespace {

constexpr uint32_t kRing = 64 * 1024;

void p_write(void* ctx, const char* bytes, unsigned long n) {
  static_cast<ExploreMachine*>(ctx)->write(bytes, n);
}
uint64_t p_clock(void* ctx) { return static_cast<ExploreMachine*>(ctx)->clock(); }

struct FiberArg {
  ExploreMachine* m;
  uint32_t cpu;
};
void fiber_entry(void* arg) {
  auto* a = static_cast<FiberArg*>(arg);
  a->m->cpu_body(a->cpu);
}

Scenario with_origin(Scenario s) {
  s.origin = "explore";
  return s;
}

}  // namespace

ExploreMachine::ExploreMachine(const Scenario& scenario, uint64_t max_steps)
    : scenario_(with_origin(scenario)), max_steps_(max_steps), cfg_(to_core_config(scenario_)),
      memory_(cfg_), header_(scenario_),
      description_(std::string("nestrr explore ") + core_variant_name(scenario_.variant)),
      cpus_(scenario_.cpu_count()) {
  if (scenario_.iterations == 0)
    throw std::invalid_argument("exploration needs a bounded scenario (iterations > 0)");
  check_options(scenario_);
  plat_ = platform_of(this);
}

ExploreMachine::~ExploreMachine() = default;

// ---- inside the fibers ----

[[noreturn]] void ExploreMachine::leave(uint32_t cpu) {
  cpus_[cpu].fiber->suspend();
  std::fprintf(stderr, "explore resumed a fiber that left for good\n");
  std::abort();
}

void ExploreMachine::yield(uint32_t cpu) {
  VCpu& c = cpus_[cpu];
  c.fiber->suspend();
  if (c.take_nmi) {
    c.take_nmi = false;
    c.pending_nmis--;
    // The handler runs on top of whatever the CPU was doing, a spin wait
    // included: while it runs, the CPU is not blocked by that wait's
    // condition (a CPU spinning on a lock takes the NMI and its handler
    // goes on). The wait resumes when the handler returns.
    const VCpu::Wait interrupted = c.wait;
    c.wait = {};
    c.in_nmi = true;
    core_nmi(&core_, cpu);
    c.in_nmi = false;
    c.wait = interrupted;
  }
}

void ExploreMachine::point(uint32_t cpu, uint32_t) {
  if (!in_fiber(cpu)) return;  // core_init runs outside the fibers
  yield(cpu);
}

void ExploreMachine::wait_until(uint32_t cpu, uint32_t id, core_wait_pred pred, void* arg) {
  if (!in_fiber(cpu)) {
    if (!pred(arg)) throw std::logic_error("wait_until would block outside a fiber");
    return;
  }
  VCpu& c = cpus_[cpu];
  // The wait is one point; the scheduler resumes the CPU when pred holds
  // (it peeks) or to take an NMI, after which it waits on.
  c.wait = {true, id, pred, arg};
  for (;;) {
    yield(cpu);
    if (pred(arg)) break;
  }
  c.wait = {};
  forward_wait_done(&lg_, cpu, id, core_.vcpu[cpu].progress);
}

void ExploreMachine::lock_acquired(uint32_t cpu, uint32_t lock) {
  forward_lock_acquired(&lg_, cpu, lock, core_vcpu_progress(&core_.vcpu[cpu]),
                        core_lock_ticket(&core_, lock));
}

void ExploreMachine::event(uint32_t cpu, const core_event& ev) { forward_event(&lg_, cpu, ev, 0); }

void ExploreMachine::send_nmi(uint32_t, uint32_t to) { cpus_[to].pending_nmis++; }

void ExploreMachine::assert_failed(uint32_t cpu, const char* cond, const char* file,
                                   uint32_t line) {
  if (out_.end != ExploredRun::End::kAssertion) {
    out_.end = ExploredRun::End::kAssertion;
    out_.cpu = cpu;
    out_.condition = cond;
    out_.file = file;
    out_.line = line;
    out_.progress = core_.vcpu[cpu].progress;
  }
  CapturedStack none;
  forward_assertion(&lg_, cpu, cond, file, line, none);
}

[[noreturn]] void ExploreMachine::halt(uint32_t cpu) {
  cpus_[cpu].halted = true;
  if (!in_fiber(cpu)) throw std::logic_error("the core halted outside a fiber");
  leave(cpu);
}

void ExploreMachine::cpu_body(uint32_t cpu) {
  while (core_workload_step(&core_, cpu)) {
  }
  core_idle_enter(&core_, cpu);
  VCpu& c = cpus_[cpu];
  for (;;) {  // idle: still takes NMIs
    c.idle = true;
    yield(cpu);
  }
}

// ---- the scheduler ----

bool ExploreMachine::can_go(uint32_t cpu) const {
  const VCpu& c = cpus_[cpu];
  if (c.halted) return false;
  if (!c.started) return true;
  if (c.idle && !c.in_nmi) return false;
  if (!c.wait.waiting) return true;
  // Peek at the wait's condition without side effects: a lock wait's
  // predicate takes the lock, so look at the lock word instead.
  if (point_lock(c.wait.point)) return *static_cast<volatile uint32_t*>(c.wait.arg) == 0;
  return c.wait.pred(c.wait.arg);
}

uint32_t ExploreMachine::landing(uint32_t cpu) const {
  const VCpu& c = cpus_[cpu];
  if (!c.started || c.halted || c.in_nmi) return kNoLanding;
  const core_vcpu& v = core_.vcpu[cpu];
  return landing_key(core_vcpu_point(&v), core_vmx_mode_peek(&v));
}

void ExploreMachine::options(std::vector<ExploreOption>* out) const {
  out->clear();
  for (uint32_t i = 0; i < cpus_.size(); ++i) {
    const VCpu& c = cpus_[i];
    const uint32_t at = landing(i);
    const uint64_t progress = core_.vcpu[i].progress;
    if (can_go(i)) out->push_back({i, false, at, progress});
    if (c.started && !c.halted && !c.in_nmi && c.pending_nmis > 0)
      out->push_back({i, true, at, progress});
  }
}

// A late NMI counts once, where it lands, however many points it was
// passed over; a deviation is a switch to another CPU than the default's,
// or a late NMI's landing.
ExploreCost cost_of(const std::vector<ExploreDecision>& trace) {
  ExploreCost c;
  std::vector<bool> held;
  for (const auto& d : trace) {
    if (d.cpu >= held.size()) held.resize(d.cpu + 1, false);
    c.preemptions += d.preemption;
    c.deviations += !d.default_cpu;
    if (d.nmi_late) held[d.cpu] = true;
    if (d.nmi) {
      c.nmis++;
      if (held[d.cpu]) {
        c.late_nmis++;
        c.deviations++;
        held[d.cpu] = false;
      }
    }
  }
  c.steps = trace.size();
  return c;
}

ExploredRun ExploreMachine::run(Strategy& strategy) {
  out_ = ExploredRun{};
  clock_ = 0;
  memory_.reset();
  core_ = core{};
  for (auto& c : cpus_) c = VCpu{};

  nestrr_config lc{};
  lc.cpu_count = cfg_.cpu_count;
  lc.ring_bytes = kRing;
  lc.mode = NESTRR_MODE_STREAM;
  lc.write = p_write;
  lc.write_ctx = this;
  lc.clock = p_clock;
  lc.clock_ctx = this;
  lc.description = description_.c_str();
  lc.scenario = header_.get();
  init_logger(&lg_, &lg_mem_, lc, "explore");
  if (!core_init(&core_, &cfg_, &plat_)) throw std::invalid_argument("core_init refused the scenario");

  std::vector<FiberArg> args(cpus_.size());
  for (uint32_t i = 0; i < cpus_.size(); ++i) {
    args[i] = {this, i};
    cpus_[i].fiber = std::make_unique<Fiber>(fiber_entry, &args[i], 256 * 1024);
  }
  std::vector<ExploreOption> opts;
  DecisionView view;
  view.options = &opts;
  int last = -1;
  for (;;) {
    options(&opts);
    if (opts.empty()) break;
    if (out_.steps >= max_steps_) {
      out_.end = ExploredRun::End::kStepLimit;
      break;
    }
    view.last = last;
    view.last_can_go = last >= 0 && can_go(static_cast<uint32_t>(last));
    view.last_progress = last >= 0 ? core_.vcpu[last].progress : 0;
    view.step = out_.steps;
    size_t pick = strategy.choose(view);
    if (pick >= opts.size()) throw std::logic_error("explore strategy chose a missing option");
    const ExploreOption o = opts[pick];
    ExploreDecision d;
    d.cpu = o.cpu;
    d.nmi = o.nmi;
    d.progress = o.progress;
    d.landing = o.landing;
    d.last = last;
    d.last_progress = view.last_progress;
    d.default_cpu = o.cpu == default_cpu(view);
    d.preemption = view.last_can_go && static_cast<int>(o.cpu) != last;
    if (!o.nmi)
      for (const auto& other : opts) d.nmi_late = d.nmi_late || (other.cpu == o.cpu && other.nmi);
    out_.trace.push_back(d);
    VCpu& c = cpus_[o.cpu];
    c.started = true;
    c.take_nmi = o.nmi;
    if (o.nmi) c.idle = false;
    current_ = static_cast<int>(o.cpu);
    c.fiber->resume();
    current_ = -1;
    nestrr_logger_flush(&lg_, o.cpu);
    last = static_cast<int>(o.cpu);
    out_.steps++;
  }
  strategy.end(out_.steps);
  if (out_.end == ExploredRun::End::kCompleted) {
    for (uint32_t i = 0; i < cpus_.size(); ++i) {
      const VCpu& c = cpus_[i];
      if (c.halted || (c.idle && c.pending_nmis == 0)) continue;
      out_.end = ExploredRun::End::kDeadlock;
      out_.stuck += (out_.stuck.empty() ? "" : ", ") + ("cpu" + std::to_string(i)) +
                    (c.wait.waiting ? " waits in " + point_name(c.wait.point) : " cannot go on") +
                    " at progress " + std::to_string(core_.vcpu[i].progress);
    }
  }
  // Every CPU left parked at a point (the run ended elsewhere) is cut
  // there, so the log says where it stopped and replay stops it there too;
  // one that took an NMI and has not logged it yet first runs on to its
  // next point (the handler logs it right after its first one).
  for (uint32_t i = 0; i < cpus_.size(); ++i) {
    VCpu& c = cpus_[i];
    while (c.started && !c.halted && core_vcpu_nmi_unlogged(&core_.vcpu[i])) {
      current_ = static_cast<int>(i);
      c.fiber->resume();
      current_ = -1;
    }
  }
  for (uint32_t i = 0; i < cpus_.size(); ++i) {
    const VCpu& c = cpus_[i];
    if (c.halted || (c.idle && !c.in_nmi)) continue;  // never started: cut at progress 0
    const core_vcpu& v = core_.vcpu[i];
    nestrr_log_sync_point(&lg_, i, core_vcpu_point(&v), core_vcpu_progress(&v),
                          NESTRR_SYNC_POINT_KIND_CUT);
    nestrr_logger_flush(&lg_, i);
  }
  nestrr_logger_finish(&lg_);
  // Fibers that never finished (halted, waiting, idle) are dropped here:
  // nothing on their stacks owns anything.
  for (auto& c : cpus_) c.fiber.reset();
  return std::move(out_);
}

}  // namespace nestrr::replay
