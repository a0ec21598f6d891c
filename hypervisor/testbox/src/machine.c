/* The core's platform on bare metal and the console CPU's run loop
 * (machine.h). */
#include "machine.h"

#include "cpu.h"
#include "keyframe.h"
#include "lapic.h"
#include "log_glue.h"
#include "nestrr/assert.h"
#include "smp.h"
#include "timing.h"
#include "uart.h"

/* Logger ring per CPU. The console CPU drains every millisecond, at the
 * speed of the emulated UART; a CPU that outruns it loses records, which
 * the log counts (RecordsLost). */
#define RING_BYTES (1u << 20)
/* Ring room the failing CPU waits for before it logs its failure, so that
 * the assertion, its stack and its VCPU are never the records lost. */
#define FAILURE_LOG_ROOM (64u * 1024u)
#define FAILURE_ROOM_WAIT_NS 10000000000ull
/* Live stack logged above the assertion's own window, at most. */
#define STACK_SNAPSHOT_MAX 16384u
/* Machine-physical memory of the core for CORE_MAX_CPUS (core_phys_size). */
#define PHYS_BYTES                                                           \
  ((4ull << 20) + CORE_EPT01_PAGES * CORE_PAGE_SIZE +                        \
   CORE_MAX_CPUS * (uint64_t)CORE_EPT02_CACHE * CORE_EPT02_PAGES * CORE_PAGE_SIZE + \
   CORE_REMAP_SLOTS * CORE_PAGE_SIZE)
/* How long the console CPU waits for the others to stop after a failure. */
#define STOP_WAIT_US 500000u

struct tb_cpu {
  volatile uint32_t parked, done;
  uint64_t nmi_rip; /* RIP the current NMI interrupted */
  volatile uint64_t nmis;
  uint64_t rng;
  uintptr_t stack_lo, stack_hi;
  uint8_t stack_copy[NESTRR_ASSERT_STACK_MAX];
};

static uint8_t phys_mem[PHYS_BYTES] __attribute__((aligned(4096)));
static uint64_t lg_mem[NESTRR_LOGGER_MEMORY_BYTES(CORE_MAX_CPUS, RING_BYTES) / 8 + 1];
static struct core core;
static struct core_platform plat;
static struct nestrr_logger lg;
static struct tb_cpu cpus[CORE_MAX_CPUS];
static uint32_t cpu_count;
static uint64_t phys_size;
static uint64_t widen_point, widen_ticks;
static volatile uint32_t go, stop;
/* A CPU is logging its failure: the other CPUs park at their next yield
 * point and ignore NMIs, the console CPU keeps draining. */
static volatile uint32_t freeze;
static bool flight_mode, paced;
static volatile uint64_t ticks;
/* time-limit=: the CPUs themselves notice it by the TSC (the console CPU
 * may be busy draining for long, with its timer masked), set `stop` and are
 * cut at that point. 0 = no limit. */
static uint64_t deadline_tsc;
static volatile uint32_t time_up;

static struct {
  volatile uint32_t claimed;
  uint32_t cpu, line;
  const char *cond, *file;
  uint64_t progress;
} failure;

/* Header.scenario and the module table. */
static const char *workload_names[CORE_MAX_CPUS];
static const char *option_list[1];
static struct nestrr_scenario scenario;
static struct nestrr_module module;
static char description[64];
extern const uint8_t __build_id_note[];

void machine_exit(enum testbox_exit code) {
  outb(TESTBOX_EXIT_PORT, (uint8_t)code);
  cli();
  for (;;) hlt();
}

/* ---- the platform ---- */

static void park(uint32_t cpu) __attribute__((noreturn));
static void park(uint32_t cpu) {
  __atomic_store_n(&cpus[cpu].parked, 1u, __ATOMIC_SEQ_CST);
  cli();
  for (;;) hlt(); /* NMIs still come: machine_nmi returns at once */
}

/* Stopped for good at the entry of yield point `id`: the cut record tells
 * replay to stop this CPU at the same place. */
static void cut(uint32_t cpu, uint32_t id) __attribute__((noreturn));
static void cut(uint32_t cpu, uint32_t id) {
  nestrr_log_sync_point(&lg, cpu, id, core_vcpu_progress(&core.vcpu[cpu]),
                        NESTRR_SYNC_POINT_KIND_CUT);
  park(cpu);
}

static bool in_nmi(uint32_t cpu) { return core_vcpu_in_nmi(&core.vcpu[cpu]); }

/* Stopping: cut at this point unless the CPU took an NMI whose record is
 * not logged yet (the handler logs it after its first point). */
static bool stopping(uint32_t cpu) {
  if (deadline_tsc && !time_up && rdtsc() >= deadline_tsc) {
    time_up = 1;
    __atomic_store_n(&stop, 1u, __ATOMIC_SEQ_CST);
  }
  return (stop || freeze) && !core_vcpu_nmi_unlogged(&core.vcpu[cpu]);
}

static void *p_phys(void *ctx, uint64_t pa, uint64_t len) {
  (void)ctx;
  if (pa > phys_size || len > phys_size - pa) return 0;
  return phys_mem + pa;
}

static void p_send_nmi(void *ctx, uint32_t from, uint32_t to) {
  (void)ctx;
  (void)from;
  lapic_send_nmi(to + 1);
}

static uint64_t p_tsc(void *ctx, uint32_t cpu) {
  (void)ctx;
  (void)cpu;
  return rdtsc();
}

static __attribute__((noreturn)) void p_halt(void *ctx, uint32_t cpu) {
  (void)ctx;
  __atomic_store_n(&stop, 1u, __ATOMIC_SEQ_CST);
  park(cpu);
}

static uint64_t next_random(struct tb_cpu *c) { /* xorshift64 */
  uint64_t x = c->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  c->rng = x;
  return x;
}

/* log=paced: at a yield point, a CPU whose ring is over half full waits
 * until the console CPU has drained it below a quarter. */
static void pace(uint32_t cpu, uint32_t id) {
  if (!paced || in_nmi(cpu) || nestrr_logger_room(&lg, cpu) >= RING_BYTES / 2) return;
  while (nestrr_logger_room(&lg, cpu) < RING_BYTES / 4 * 3) {
    if (stopping(cpu)) cut(cpu, id);
    cpu_relax();
  }
}

/* Widening: spin half to all of the configured time at the chosen point,
 * outside NMI handlers; timing only, nothing replay needs. */
static void p_point(void *ctx, uint32_t cpu, uint32_t id) {
  (void)ctx;
  struct tb_cpu *c = &cpus[cpu];
  if (stopping(cpu)) cut(cpu, id);
  pace(cpu, id);
  if (id != widen_point || in_nmi(cpu) || !widen_ticks) return;
  uint64_t end = rdtsc() + widen_ticks / 2 + next_random(c) % (widen_ticks / 2 + 1);
  while (rdtsc() < end && !stop) cpu_relax();
}

/* NMIs latched while spinning are taken between evaluations of pred. */
static void p_wait(void *ctx, uint32_t cpu, uint32_t id, core_wait_pred pred, void *arg) {
  (void)ctx;
  for (;;) {
    if (stopping(cpu)) cut(cpu, id);
    core_nmi_poll(&core, cpu);
    if (pred(arg)) break;
    cpu_relax();
  }
  glue_wait_done(&lg, cpu, id, core_vcpu_progress(&core.vcpu[cpu]));
}

static void p_lock_acquired(void *ctx, uint32_t cpu, uint32_t lock) {
  (void)ctx;
  glue_lock_acquired(&lg, cpu, lock, core_vcpu_progress(&core.vcpu[cpu]), core_lock_ticket(&core, lock));
}

static void p_event(void *ctx, uint32_t cpu, const struct core_event *ev) {
  (void)ctx;
  glue_event(&lg, cpu, ev, cpus[cpu].nmi_rip);
}

static bool stack_ok(void *ctx, uintptr_t addr, uintptr_t n) {
  const struct tb_cpu *c = (const struct tb_cpu *)ctx;
  return addr >= c->stack_lo && n <= c->stack_hi - c->stack_lo &&
         addr - c->stack_lo <= c->stack_hi - c->stack_lo - n;
}

/* Registers at this call, the frame-pointer chain, and the raw stack from
 * RSP up: the failing frames are live below us. */
static __attribute__((noinline)) void assertion_record(uint32_t cpu, const char *cond,
                                                      const char *file, uint32_t line) {
  struct tb_cpu *c = &cpus[cpu];
  struct nestrr_regs regs;
  uint64_t frames[NESTRR_ASSERT_FRAMES_MAX];
  nestrr_capture_regs(&regs);
  uint32_t n = nestrr_walk_frames((uintptr_t)__builtin_frame_address(0), frames,
                                  NESTRR_ASSERT_FRAMES_MAX, stack_ok, c);
  uintptr_t sp = (uintptr_t)regs.rsp;
  uint32_t bytes = 0;
  if (stack_ok(c, sp, 1)) {
    uintptr_t room = c->stack_hi - sp;
    bytes = room < NESTRR_ASSERT_STACK_MAX ? (uint32_t)room : NESTRR_ASSERT_STACK_MAX;
    for (uint32_t i = 0; i < bytes; i++) c->stack_copy[i] = ((const uint8_t *)sp)[i];
  }
  if (!glue_assertion(&lg, cpu, cond, file, line, &regs, frames, n, sp, c->stack_copy, bytes)) return;
  /* The callers' frames above that window, up to the stack's top, so a
   * debugger on the log can unwind every frame from memory, not only from
   * the return-address list. They do not change while we are below them. */
  if (bytes && sp + bytes < c->stack_hi) {
    uintptr_t rest = c->stack_hi - (sp + bytes);
    if (rest > STACK_SNAPSHOT_MAX) rest = STACK_SNAPSHOT_MAX;
    nestrr_log_memory(&lg, cpu, (uint64_t)(sp + bytes), (const void *)(sp + bytes), (uint32_t)rest,
                      "stack");
  }
}

/* Stream mode: waits (bounded) until the console CPU has drained enough of
 * this CPU's ring for the failure's records. Nobody else writes to it
 * meanwhile: the other CPUs are frozen and this one takes no NMIs. */
static void wait_for_room(uint32_t cpu) {
  if (flight_mode) return;
  uint64_t end = rdtsc() + timing_ns_to_tsc(FAILURE_ROOM_WAIT_NS);
  while (nestrr_logger_room(&lg, cpu) < FAILURE_LOG_ROOM && rdtsc() < end) cpu_relax();
}

static void p_assert(void *ctx, uint32_t cpu, const char *cond, const char *file, uint32_t line) {
  (void)ctx;
  __atomic_store_n(&freeze, 1u, __ATOMIC_SEQ_CST);
  wait_for_room(cpu);
  assertion_record(cpu, cond, file, line);
  /* The failing VCPU's state, for the debugger (replay skips snapshots). */
  nestrr_log_memory(&lg, cpu, (uint64_t)(uintptr_t)&core.vcpu[cpu], &core.vcpu[cpu],
                    (uint32_t)sizeof core.vcpu[cpu], "core_vcpu");
  if (!__atomic_exchange_n(&failure.claimed, 1u, __ATOMIC_SEQ_CST)) {
    failure.cpu = cpu;
    failure.cond = cond;
    failure.file = file;
    failure.line = line;
    failure.progress = core_vcpu_progress(&core.vcpu[cpu]);
  }
  __atomic_store_n(&stop, 1u, __ATOMIC_SEQ_CST);
}

/* ---- NMIs, timer ---- */

/* The NMI entry only latches: the core takes the NMI at this CPU's next
 * yield point (platform.h, "NMIs"), which is equivalent to taking it here,
 * and makes its logged position exact. */
void machine_nmi(uint32_t apic_id, const struct interrupt_frame *f) {
  if (apic_id == 0 || apic_id > cpu_count || !go || stop || freeze) return;
  struct tb_cpu *c = &cpus[apic_id - 1];
  c->nmi_rip = f->rip;
  c->nmis++;
  core_nmi_latch(&core, apic_id - 1);
}

void testbox_timer(void) {
  ticks++;
  lapic_eoi();
}

/* ---- the CPUs ---- */

void machine_core_ap(uint32_t apic_id) {
  if (apic_id == 0 || apic_id > cpu_count) {
    cli();
    for (;;) hlt();
  }
  uint32_t cpu = apic_id - 1;
  while (!go) cpu_relax();
  /* A stop is noticed at the next yield point (a cut), not between steps.
   * Between steps (and while idle) the CPU may join a key frame. */
  while (core_workload_step(&core, cpu)) {
    if (flight_mode) keyframe_step_boundary(cpu);
  }
  core_idle_enter(&core, cpu);
  __atomic_store_n(&cpus[cpu].done, 1u, __ATOMIC_SEQ_CST);
  while (!stop) { /* still answers NMIs */
    core_nmi_poll(&core, cpu);
    if (flight_mode) keyframe_step_boundary(cpu);
    cpu_relax();
  }
  park(cpu);
}

static void uart_sink(void *ctx, const char *bytes, unsigned long n) {
  (void)ctx;
  uart_write(bytes, n);
}

static void setup_log(const struct testbox_options *o) {
  for (uint32_t i = 0; i < cpu_count; i++)
    workload_names[i] = options_workload_name(core.cfg.workload[i].kind);
  scenario.variant = core_variant_name(o->variant);
  scenario.seed = o->seed;
  scenario.cpu_workload = workload_names;
  scenario.cpu_workload_count = cpu_count;
  scenario.iterations = o->iterations;
  option_list[0] = o->widen_option;
  scenario.option = option_list;
  scenario.option_count = o->widen_option[0] ? 1 : 0;
  scenario.origin = "testbox";

  /* The build-id note: namesz, descsz, type, "GNU\0", then the id. */
  const uint32_t *note = (const uint32_t *)__build_id_note;
  module.name = "nestrr-testbox.elf";
  module.build_id = __build_id_note + 16;
  module.build_id_bytes = note[1];
  module.load_bias = 0;

  const char *prefix = "nestrr testbox ";
  uint32_t k = 0;
  for (const char *p = prefix; *p; p++) description[k++] = *p;
  for (const char *p = scenario.variant; *p && k + 1 < sizeof description; p++)
    description[k++] = *p;
  description[k] = 0;

  struct nestrr_config lc = {0};
  lc.cpu_count = cpu_count;
  lc.ring_bytes = RING_BYTES;
  lc.mode = o->flight ? NESTRR_MODE_FLIGHT : NESTRR_MODE_STREAM;
  flight_mode = o->flight;
  paced = o->paced;
  lc.memory = lg_mem;
  lc.memory_bytes = sizeof lg_mem;
  lc.tsc_hz = timing_tsc_hz();
  lc.dt_shift = 6; /* 64-tick units: a byte a record less on the serial line */
  lc.description = description;
  lc.modules = &module;
  lc.module_count = 1;
  lc.scenario = &scenario;
  lc.write = uart_sink;
  if (o->flight) {
    struct keyframe_site kf = {&lg, &core, phys_mem, phys_size, cpu_count, &stop, &freeze};
    keyframe_setup(&kf, &lc);
  }
  if (!nestrr_logger_init(&lg, &lc)) {
    uart_printf("testbox: the logger refused its configuration\n");
    machine_exit(TESTBOX_EXIT_PANIC);
  }
}

static void drain(void) {
  for (uint32_t i = 0; i < cpu_count; i++) nestrr_logger_flush(&lg, i);
}

static uint64_t iterations_of(uint32_t cpu) {
  const struct core_vcpu *v = &core.vcpu[cpu];
  switch (core.cfg.workload[cpu].kind) {
    case CORE_WORKLOAD_PAL: return v->wl_pal.iter;
    case CORE_WORKLOAD_REMAP: return v->wl_remap.iter;
    case CORE_WORKLOAD_NMI: return v->wl_nmi.iter;
    default: return v->wl_l1.iter;
  }
}

static void progress_line(void) {
  uart_printf("testbox: progress");
  for (uint32_t i = 0; i < cpu_count; i++)
    uart_printf(" cpu%u:%lu/%lu", i, iterations_of(i), cpus[i].nmis);
  uart_printf(" (iterations/nmis)\n");
}

void machine_run_core(const struct testbox_options *o) {
  struct core_config cfg = {0};
  cpu_count = o->cpus;
  /* As replay/src/scenario.cc's default_scenario and to_core_config: the
   * last CPU registers PALs, the others run L1; replay re-creates the run
   * from the header, so both must agree. */
  cfg.cpu_count = cpu_count;
  cfg.variant = o->variant;
  cfg.l1_mem_size = 4ull << 20;
  uint32_t iters = o->iterations == 0 || o->iterations > 0xffffffffu ? 0xffffffffu
                                                                       : (uint32_t)o->iterations;
  for (uint32_t i = 0; i < cpu_count; i++) {
    if (o->workload_count)
      cfg.workload[i].kind = o->workload[i];
    else
      cfg.workload[i].kind = i + 1 == cpu_count && cpu_count > 1 ? CORE_WORKLOAD_PAL : CORE_WORKLOAD_L1;
    cfg.workload[i].iterations = iters;
    cfg.workload[i].l2_exits = 2;
    cfg.workload[i].pal_pages = 1;
  }
  phys_size = core_phys_size(&cfg);
  plat.phys = p_phys;
  plat.send_nmi = p_send_nmi;
  plat.tsc = p_tsc;
  plat.halt = p_halt;
  plat.point = p_point;
  plat.wait_until = p_wait;
  plat.lock_acquired = p_lock_acquired;
  plat.event = p_event;
  plat.assert_failed = p_assert;
  widen_point = o->widen_point;
  widen_ticks = timing_ns_to_tsc(o->widen_ns);
  for (uint32_t i = 0; i < cpu_count; i++) {
    cpus[i].rng = (o->seed * 0x9e3779b97f4a7c15ull + i) | 1u;
    smp_stack_bounds(i + 1, &cpus[i].stack_lo, &cpus[i].stack_hi);
  }
  if (!core_init(&core, &cfg, &plat)) {
    uart_printf("testbox: core_init refused the configuration\n");
    machine_exit(TESTBOX_EXIT_PANIC);
  }
  setup_log(o);
  drain();
  if (!smp_start(cpu_count)) machine_exit(TESTBOX_EXIT_PANIC);
  uart_printf("testbox: running variant %s on %u CPUs, %lu iterations%s%s\n", scenario.variant,
              cpu_count, o->iterations, o->widen_option[0] ? ", " : "", o->widen_option);
  lapic_timer_periodic(1000);
  if (o->time_limit_ms) deadline_tsc = rdtsc() + timing_ns_to_tsc(o->time_limit_ms * 1000000ull);
  __atomic_store_n(&go, 1u, __ATOMIC_SEQ_CST);

  uint64_t next_progress = 1000;
  for (;;) {
    sti_hlt();
    drain();
    if (ticks >= next_progress) {
      progress_line();
      next_progress = ticks + 1000;
    }
    bool all_done = true;
    for (uint32_t i = 0; i < cpu_count; i++) all_done = all_done && cpus[i].done;
    if (stop || all_done) break;
    if (deadline_tsc && rdtsc() >= deadline_tsc) {
      time_up = 1; /* the CPUs are cut at their next yield points */
      break;
    }
  }
  __atomic_store_n(&stop, 1u, __ATOMIC_SEQ_CST);
  uint64_t end = rdtsc() + timing_ns_to_tsc(STOP_WAIT_US * 1000ull);
  for (uint32_t i = 0; i < cpu_count; i++)
    while (!cpus[i].parked && rdtsc() < end) cpu_relax();
  for (uint32_t i = 0; i < cpu_count; i++)
    if (!cpus[i].parked) uart_printf("testbox: cpu%u did not stop\n", i);
  if (o->flight)
    nestrr_logger_dump(&lg);
  else
    nestrr_logger_finish(&lg);
  progress_line();
  if (o->flight)
    uart_printf("testbox: key frames: %lu taken, %lu given up\n", keyframe_published(),
                keyframe_abandoned());
  if (failure.claimed) {
    uart_printf("testbox: cpu%u: assertion '%s' failed at %s:%u (progress %lu)\n", failure.cpu,
                failure.cond, failure.file, failure.line, failure.progress);
    machine_exit(TESTBOX_EXIT_ASSERTION);
  }
  if (time_up && !failure.claimed) {
    uart_printf("testbox: time limit of %lu ms passed, every CPU stopped\n", o->time_limit_ms);
    machine_exit(TESTBOX_EXIT_TIME_LIMIT);
  }
  uart_printf("testbox: every workload completed\n");
  machine_exit(TESTBOX_EXIT_COMPLETED);
}
