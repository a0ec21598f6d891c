// The fiber platform of the core tests (see test_machine.h).
#include "test_machine.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "nestrr/replay/core_host.h"

namespace nestrr::coretest {

core_config make_config(uint32_t cpus, core_variant variant) {
  core_config cfg{};
  cfg.cpu_count = cpus;
  cfg.variant = variant;
  cfg.l1_mem_size = 4ull << 20;
  return cfg;
}

Machine::Machine(uint32_t cpus, core_variant variant, uint64_t l1_mem) {
  cfg_ = make_config(cpus, variant);
  cfg_.l1_mem_size = l1_mem;
  init();
}

Machine::Machine(const core_config &cfg) : cfg_(cfg) { init(); }

void Machine::init() {
  plat_ = replay::platform_of(this);
  mem_.assign(core_phys_size(&cfg_), 0);
  if (!core_init(&core_, &cfg_, &plat_)) {
    std::fprintf(stderr, "core_init failed\n");
    std::abort();
  }
}

void *Machine::phys(uint64_t pa, uint64_t len) {
  if (pa > mem_.size() || len > mem_.size() - pa) return nullptr;
  return mem_.data() + pa;
}

void Machine::send_nmi(uint32_t, uint32_t to) { cpus_[to].nmi_pending = true; }

void Machine::halt(uint32_t cpu) {
  cpus_[cpu].halted = true;
  if (current_ != static_cast<int>(cpu)) {
    std::fprintf(stderr, "halt outside the CPU's fiber\n");
    std::abort();
  }
  swapcontext(&cpus_[cpu].ctx, &sched_);
  std::abort();  // a halted CPU is never resumed
}

void Machine::assert_failed(uint32_t cpu, const char *cond, const char *file,
                            uint32_t line) {
  asserts_.push_back({cpu, cond, file, line});
  if (current_ < 0) {
    std::fprintf(stderr, "assertion '%s' (%s:%u) outside a fiber\n", cond, file,
                 line);
    std::abort();
  }
}

void Machine::deliver_nmi(uint32_t cpu) {
  Cpu &c = cpus_[cpu];
  if (c.nmi_pending && !c.in_nmi) {
    c.nmi_pending = false;
    c.in_nmi = true;
    core_nmi(&core_, cpu);
    c.in_nmi = false;
  }
}

void Machine::yield(uint32_t cpu) { swapcontext(&cpus_[cpu].ctx, &sched_); }

void Machine::point(uint32_t cpu, uint32_t id) {
  Cpu &c = cpus_[cpu];
  c.points++;
  c.trace.push_back(id);
  if (current_ != static_cast<int>(cpu)) return;  // setup code, no fiber
  yield(cpu);
  deliver_nmi(cpu);
}

void Machine::wait_until(uint32_t cpu, uint32_t id, core_wait_pred pred,
                         void *arg) {
  Cpu &c = cpus_[cpu];
  c.points++;
  c.trace.push_back(id);
  for (;;) {
    if (current_ == static_cast<int>(cpu)) deliver_nmi(cpu);
    if (pred(arg)) break;
    if (current_ != static_cast<int>(cpu)) {
      std::fprintf(stderr, "wait_until would block outside a fiber\n");
      std::abort();
    }
    c.waiting = true;
    yield(cpu);
    c.waiting = false;
  }
}

void Machine::event(uint32_t cpu, const core_event &ev) {
  cpus_[cpu].events.push_back(ev);
}

void Machine::set_body(uint32_t cpu, std::function<void()> body) {
  cpus_[cpu].body = std::move(body);
}

void Machine::use_workloads() {
  for (uint32_t i = 0; i < cfg_.cpu_count; i++) {
    set_body(i, [this, i] {
      while (core_workload_step(&core_, i)) {
      }
    });
  }
}

void Machine::trampoline(unsigned lo, unsigned hi, unsigned cpu) {
  auto *m = reinterpret_cast<Machine *>((static_cast<uintptr_t>(hi) << 32) |
                                        static_cast<uintptr_t>(lo));
  m->cpus_[cpu].body();
  // Done with its work, the CPU idles but still answers NMIs.
  m->cpus_[cpu].finished = true;
  for (;;) {
    swapcontext(&m->cpus_[cpu].ctx, &m->sched_);
    m->deliver_nmi(cpu);
  }
}

uint64_t Machine::run(Policy policy, uint64_t max_steps) {
  // volatile: live across swapcontext, which returns twice.
  volatile uint64_t steps = 0;
  // CPUs that ran since the last progress without getting anywhere (they
  // spin in wait_until). When that covers every runnable CPU, nobody can
  // move: a deadlock (for instance after an assertion halted a CPU).
  volatile uint32_t stuck = 0;
  while (steps < max_steps) {
    uint32_t live = 0;
    for (uint32_t i = 0; i < cfg_.cpu_count; i++)
      if (runnable(i)) live |= 1u << i;
    if (!live) break;
    if ((stuck & live) == live) {
      deadlocked_ = true;
      break;
    }
    int next = policy(*this);
    if (next < 0 || !runnable(static_cast<uint32_t>(next))) {
      for (uint32_t i = 0; i < cfg_.cpu_count; i++)
        if (runnable(i)) next = static_cast<int>(i);
    }
    Cpu &c = cpus_[next];
    if (!c.started) {
      c.started = true;
      c.stack.assign(512 * 1024, 0);
      getcontext(&c.ctx);
      c.ctx.uc_stack.ss_sp = c.stack.data();
      c.ctx.uc_stack.ss_size = c.stack.size();
      c.ctx.uc_link = nullptr;
      auto addr = reinterpret_cast<uintptr_t>(this);
      makecontext(&c.ctx, reinterpret_cast<void (*)()>(trampoline), 3,
                  static_cast<unsigned>(addr & 0xffffffffu),
                  static_cast<unsigned>(addr >> 32), static_cast<unsigned>(next));
    }
    uint64_t before = c.points;
    bool pending = c.nmi_pending;
    current_ = next;
    swapcontext(&sched_, &c.ctx);
    current_ = -1;
    if (c.points != before || !c.waiting || pending)
      stuck = 0;
    else
      stuck = stuck | (1u << next);
    steps = steps + 1;
  }
  return steps;
}

Machine::Policy Machine::round_robin() {
  auto last = std::make_shared<int>(-1);
  return [last](Machine &m) {
    uint32_t n = m.cpu_count();
    for (uint32_t k = 1; k <= n; k++) {
      int i = static_cast<int>((static_cast<uint32_t>(*last) + k) % n);
      if (m.runnable(static_cast<uint32_t>(i))) {
        *last = i;
        return i;
      }
    }
    return -1;
  };
}

Machine::Policy Machine::seeded_random(uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng](Machine &m) {
    int candidates[CORE_MAX_CPUS];
    int n = 0;
    for (uint32_t i = 0; i < m.cpu_count(); i++)
      if (m.runnable(i)) candidates[n++] = static_cast<int>(i);
    if (n == 0) return -1;
    return candidates[(*rng)() % static_cast<uint64_t>(n)];
  };
}

}  // namespace nestrr::coretest
