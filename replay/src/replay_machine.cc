// One re-execution under the recorded interleaving (replay_machine.h).
#include "replay_machine.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <stdexcept>

#include "nestrr/replay/core_host.h"
#include "nestrr/log_forward.h"
#include "nestrr/replay/point_names.h"
#include "nestrr/replay/stack_capture.h"

namespace nestrr::replay {
namespace {

constexpr uint32_t kReplayRing = 64 * 1024;
constexpr uint32_t kMaxStackFrames = 64;

void p_packet(void* ctx, const char* bytes, unsigned long n) {
  static_cast<ReplayMachine*>(ctx)->packet(bytes, n);
}
// The replay logger's clock stands still: every record's dt is 0, as in
// the log's normalized records.
uint64_t p_still_clock(void*) { return 0; }

void fiber_entry(void* arg) {
  auto* a = static_cast<FiberArgs*>(arg);
  a->m->cpu_body(a->cpu);
}

}  // namespace

ReplayMachine::ReplayMachine(ExpectedSource& expected, const ReplayOptions& options, FixedArena* arena)
    : exp_(expected), options_(options), arena_(arena),
      decoder_(expected.scenario().cpu_count()), cpus_(expected.scenario().cpu_count()),
      trace_(options.trace_limit) {
  cfg_ = to_core_config(exp_.scenario());
  memory_ = arena_ ? std::make_unique<HostMemory>(cfg_, arena_->take(core_phys_size(&cfg_), 4096))
                  : std::make_unique<HostMemory>(cfg_);
  plat_ = platform_of(this);
  nestrr_config lc{};
  lc.cpu_count = cfg_.cpu_count;
  lc.ring_bytes = kReplayRing;
  lc.mode = NESTRR_MODE_STREAM;
  lc.packet = p_packet;
  lc.packet_ctx = this;
  lc.clock = p_still_clock;
  lc.records_only = true;  // one Record per packet: compared one by one, as bytes
  init_logger(&lg_, &lg_mem_, lc, "replay");
}

ReplayMachine::~ReplayMachine() = default;

// Slots are reused: every field is set, the text assigned in place.
TraceEntry* ReplayMachine::trace(TraceEntry::Kind kind, uint32_t cpu, uint32_t point,
                                 uint32_t other, const char* text) {
  if (!options_.trace) return nullptr;
  TraceEntry& e = trace_.push();
  e.kind = kind;
  e.cpu = cpu;
  e.progress = progress(cpu);
  e.point = point;
  e.other_cpu = other;
  e.nmi_depth = cpus_[cpu].in_nmi ? 1 : 0;
  e.text.assign(text);
  e.record = 0;
  return &e;
}

[[noreturn]] void ReplayMachine::leave(uint32_t cpu) {
  cpus_[cpu].fiber->suspend();
  std::fprintf(stderr, "replay resumed a fiber that left for good\n");
  std::abort();
}

void ReplayMachine::block(uint32_t cpu, Block why) {
  VCpu& c = cpus_[cpu];
  c.blocked = true;
  c.blocked_epoch = epoch_;
  c.block = why;
  c.fiber->suspend();
  c.blocked = false;
  if (stop_) leave(cpu);
}

std::string ReplayMachine::block_text(const Block& b) const {
  switch (b.why) {
    case Block::Why::kNone: return "";
    case Block::Why::kNmiNotSent:
      return "waiting for NMI #" + std::to_string(b.a) + " (from cpu" + std::to_string(b.b) +
             ") to be sent";
    case Block::Why::kLockTurn:
      return "waiting for its turn at lock " + lock_name(b.a) + " (ticket " + std::to_string(b.c) +
             "; " + std::to_string(core_.lock_acquisitions[b.a]) + " taken so far)";
    case Block::Why::kSpinning: return "spinning in " + point_name(b.a);
    case Block::Why::kIdle: return "idle (workload done)";
  }
  return "";
}

void ReplayMachine::diverge(uint32_t cpu, size_t index, std::string got) {
  if (out_.divergence || out_.lost) return;
  const ExpectedRecord* e = exp_.at(cpu, index);
  Divergence d;
  d.cpu = cpu;
  d.index = index;
  d.progress = progress(cpu);
  d.seq = e ? e->seq : exp_.seq_at(cpu, index);
  if (!e) {
    d.expected = "nothing (end of the cpu's log)";
  } else if (e->role == ExpectedRecord::Role::kLost) {
    // Not a difference: the log does not say what comes here.
    d.expected = std::string(e->note);
    d.got = std::move(got);
    out_.lost = std::move(d);
    stop_ = true;
    return;
  } else if (e->role == ExpectedRecord::Role::kCut) {
    d.expected = "the recording's cut of cpu" + std::to_string(cpu) + " at " +
                 point_name(e->object) + ", progress " + std::to_string(e->progress);
  } else {
    d.expected = describe(parse_record(e->bytes));
  }
  d.got = std::move(got);
  out_.divergence = std::move(d);
  stop_ = true;
}

// ---- NMIs ----

void ReplayMachine::deliver(uint32_t cpu, uint32_t source) {
  VCpu& c = cpus_[cpu];
  c.next_nmi++;
  c.in_nmi = true;
  trace(TraceEntry::Kind::kNmiDelivered, cpu, c.last_point, source);
  core_nmi(&core_, cpu);
  c.in_nmi = false;
  trace(TraceEntry::Kind::kNmiReturn, cpu, c.last_point, source);
  epoch_++;
}

// The recorded count of an NMI names one position (platform.h): the point
// with that count, an iteration of the wait with that count, or the idle
// point. Nothing is logged between that position and the handler's
// NmiReceived, so an NMI is due exactly when it is the CPU's next record
// and the CPU's count equals it; a count already past it means the
// re-execution went another way.
void ReplayMachine::deliver_due(uint32_t cpu) {
  VCpu& c = cpus_[cpu];
  if (c.in_nmi || c.halted) return;
  for (;;) {
    const ExpectedRecord* n = next(cpu);
    if (!n || n->role != ExpectedRecord::Role::kNmi) return;
    const uint64_t now = progress(cpu);
    if (n->progress > now) return;
    if (n->progress < now) {
      diverge(cpu, c.next_record,
              "cpu" + std::to_string(cpu) + " passed progress " + std::to_string(n->progress) +
                  " without taking this NMI (it is at " + point_name(c.last_point) +
                  ", progress " + std::to_string(now) + ")");
      leave(cpu);
    }
    const uint32_t source = n->object;
    const size_t at = c.next_record;
    while (c.nmis_sent_to <= c.next_nmi)
      block(cpu, {Block::Why::kNmiNotSent, c.next_nmi, source, 0});
    deliver(cpu, source);
    if (c.next_record <= at) {  // the handler did not log its NmiReceived
      diverge(cpu, at, "nothing: cpu" + std::to_string(cpu) + "'s NMI handler returned without logging it");
      leave(cpu);
    }
  }
}

void ReplayMachine::send_nmi(uint32_t from, uint32_t to) {
  cpus_[to].nmis_sent_to++;
  epoch_++;
  trace(TraceEntry::Kind::kNmiSent, from, cpus_[from].last_point, to);
}

// ---- cuts ----

// A position is the count together with the point: the last point of an
// NMI handler and the wait loop it returns to share a count.
void ReplayMachine::cut_here(uint32_t cpu, uint32_t point) {
  const ExpectedRecord* cut = next(cpu);
  if (!cut || cut->role != ExpectedRecord::Role::kCut) return;
  VCpu& c = cpus_[cpu];
  const uint64_t now = progress(cpu);
  if (now > cut->progress) {
    diverge(cpu, c.next_record,
            "cpu" + std::to_string(cpu) + " went on past it, to " + point_name(point) +
                ", progress " + std::to_string(now));
    leave(cpu);
  }
  if (now != cut->progress || point != cut->object) return;
  c.parked = true;
  out_.cut.push_back(cpu);
  epoch_++;
  leave(cpu);
}

// ---- points, waits, locks ----

// Entering a point or a wait: stop here if the recording cut the CPU here,
// else let the scheduler pick who runs next.
void ReplayMachine::arrive(uint32_t cpu, uint32_t id) {
  trace(TraceEntry::Kind::kPoint, cpu, id, 0);
  cut_here(cpu, id);
  epoch_++;
  cpus_[cpu].fiber->suspend();
  if (stop_) leave(cpu);
}

void ReplayMachine::point(uint32_t cpu, uint32_t id) {
  VCpu& c = cpus_[cpu];
  c.last_point = id;
  if (!in_fiber(cpu)) return;  // core_init runs outside the fibers
  arrive(cpu, id);
  deliver_due(cpu);
}

// A lock is taken in the order the log recorded: the CPU's next records
// are the end of its wait and this acquisition, and it waits until the
// lock has been taken as many times as the acquisition's ticket says.
void ReplayMachine::lock_turn(uint32_t cpu, uint32_t lock) {
  size_t at = cpus_[cpu].next_record;
  const ExpectedRecord* a = exp_.at(cpu, at);
  if (a && a->role == ExpectedRecord::Role::kPlain) a = exp_.at(cpu, ++at);  // the wait's end
  if (!a || a->role != ExpectedRecord::Role::kAcquire || a->object != lock ||
      a->progress != progress(cpu)) {
    diverge(cpu, at,
            "cpu" + std::to_string(cpu) + " takes lock " + lock_name(lock) + " at progress " +
                std::to_string(progress(cpu)));
    leave(cpu);
  }
  const uint64_t ticket = a->ticket;
  for (;;) {
    const uint64_t taken = lock < CORE_LOCK_IDS ? core_.lock_acquisitions[lock] : 0;
    if (taken == ticket) return;
    if (taken > ticket) {
      diverge(cpu, at,
              "cpu" + std::to_string(cpu) + " waits for lock " + lock_name(lock) + " with ticket " +
                  std::to_string(ticket) + ", but it was taken " + std::to_string(taken) +
                  " times already");
      leave(cpu);
    }
    block(cpu, {Block::Why::kLockTurn, lock, 0, ticket});
  }
}

// One point however long it spins. NMIs are taken between evaluations of
// the predicate, as the recorder's spin loop takes them; a cut can come
// after them (at the count they leave).
void ReplayMachine::wait_until(uint32_t cpu, uint32_t id, core_wait_pred pred, void* arg) {
  VCpu& c = cpus_[cpu];
  c.last_point = id;
  if (!in_fiber(cpu)) {
    if (!pred(arg)) throw std::logic_error("wait_until would block outside a fiber");
    return;
  }
  arrive(cpu, id);
  const uint32_t lock = c.in_nmi ? 0 : point_lock(id);
  for (;;) {
    deliver_due(cpu);
    c.last_point = id;
    cut_here(cpu, id);
    if (lock) lock_turn(cpu, lock);
    if (pred(arg)) break;
    block(cpu, {Block::Why::kSpinning, id, 0, 0});
  }
  trace(TraceEntry::Kind::kWaitDone, cpu, id, 0);
  epoch_++;
  nestrr_forward_wait_done(&lg_, cpu, id, progress(cpu));
  check_records(cpu);
}

void ReplayMachine::lock_acquired(uint32_t cpu, uint32_t lock) {
  epoch_++;
  nestrr_forward_lock_acquired(&lg_, cpu, lock, progress(cpu), core_lock_ticket(&core_, lock));
  check_records(cpu);
}

// ---- records ----

void ReplayMachine::event(uint32_t cpu, const core_event& ev) {
  nestrr_forward_event(&lg_, cpu, &ev, 0);
  check_records(cpu);
}

void ReplayMachine::check_records(uint32_t cpu) {
  nestrr_logger_flush(&lg_, cpu);
  VCpu& c = cpus_[cpu];
  auto& got = decoder_.cpu(cpu);
  while (!got.empty()) {
    // The record stays in the decoder while it is looked at: a fiber that
    // diverges leaves for good, and nothing on its stack may own memory.
    const ExpectedRecord* e = next(cpu);
    const bool ok = e && e->role != ExpectedRecord::Role::kCut && same_bytes(got.front(), e->bytes);
    if (!ok) {
      diverge(cpu, c.next_record, describe(parse_record(got.front())));
      if (in_fiber(cpu)) leave(cpu);
      return;
    }
    got.pop_front();
    // The record's bytes for now; described in text only if still kept at
    // the end (finish), when the log's copy may be gone.
    if (TraceEntry* t = trace(TraceEntry::Kind::kEvent, cpu, c.last_point, 0)) {
      t->record = c.next_record;
      t->text.assign(e->bytes);
    }
    c.next_record++;
    exp_.release(cpu, c.next_record);
    out_.events_checked++;
    if (options_.checked_so_far)
      options_.checked_so_far->store(out_.events_checked, std::memory_order_relaxed);
  }
}

void ReplayMachine::assert_failed(uint32_t cpu, const char* cond, const char* file, uint32_t line) {
  VCpu& c = cpus_[cpu];
  if (in_fiber(cpu)) out_.stack = walk_return_addresses(c.fiber->stack(), kMaxStackFrames);
  out_.failure = ReproducedFailure{cpu, cond, file, line, progress(cpu)};
  trace(TraceEntry::Kind::kAssertion, cpu, c.last_point, 0, cond);
  const nestrr_captured_stack none{};
  nestrr_forward_assertion(&lg_, cpu, cond, file, line, &none);
  check_records(cpu);
}

[[noreturn]] void ReplayMachine::halt(uint32_t cpu) {
  cpus_[cpu].halted = true;
  epoch_++;
  if (!in_fiber(cpu)) throw std::logic_error("the core halted outside a fiber");
  leave(cpu);
}

// ---- fibers and the scheduler ----

void ReplayMachine::cpu_body(uint32_t cpu) {
  VCpu& c = cpus_[cpu];
  cut_here(cpu, CORE_POINT_NONE);  // a CPU the recording stopped before it ran
  // From a key frame, a CPU that was idle there idles on.
  if (!core_vcpu_idle(&core_.vcpu[cpu])) {
    while (core_workload_step(&core_, cpu)) {
    }
    core_idle_enter(&core_, cpu);
  }
  c.finished = true;
  c.last_point = CORE_POINT_IDLE;
  epoch_++;
  for (;;) {  // idle: still takes NMIs
    deliver_due(cpu);
    c.last_point = CORE_POINT_IDLE;
    const ExpectedRecord* n = next(cpu);
    if (!n || n->role != ExpectedRecord::Role::kNmi) c.idle_done = true;
    block(cpu, {Block::Why::kIdle, 0, 0, 0});
  }
}

bool ReplayMachine::eligible(uint32_t cpu) const {
  const VCpu& c = cpus_[cpu];
  if (c.halted || c.parked || c.idle_done) return false;
  return !c.blocked || c.blocked_epoch != epoch_;
}

void ReplayMachine::finish_checks() {
  if (out_.divergence || out_.lost) return;
  for (uint32_t cpu = 0; cpu < cpus_.size(); ++cpu) {
    const VCpu& c = cpus_[cpu];
    if (c.parked || !next(cpu)) continue;
    std::string state = c.halted ? "halted" : c.blocked ? block_text(c.block) : "stopped";
    diverge(cpu, c.next_record,
            "nothing: cpu" + std::to_string(cpu) + " is " + state + " at progress " +
                std::to_string(progress(cpu)));
    return;
  }
}

// From a key frame: its machine memory, then the core's state on top.
void ReplayMachine::resume_from(const ResumePoint& r) {
  memory_->reset();
  for (const auto& [offset, data] : r.phys) {
    // The reader keeps pieces inside their region, expected_from the region
    // the size of this memory.
    void* p = memory_->at(offset, data.size());
    if (!p) throw std::logic_error("a key frame's piece lies outside machine memory");
    std::copy(data.begin(), data.end(), static_cast<char*>(p));
  }
  if (!core_resume(&core_, r.core_image.data(), r.core_image.size(), &cfg_, &plat_))
    throw std::invalid_argument(
        "key frame " + std::to_string(r.key_frame_id) +
        ": the core cannot resume from its state (another configuration, or an NMI in progress)");
  for (uint32_t i = 0; i < cpus_.size(); ++i) cpus_[i].last_point = core_vcpu_point(&core_.vcpu[i]);
}

void ReplayMachine::start() {
  if (const ResumePoint* r = exp_.resume()) {
    resume_from(*r);
  } else if (!core_init(&core_, &cfg_, &plat_)) {
    throw std::invalid_argument("core_init refused the scenario");
  }
  args_.resize(cpus_.size());
  for (uint32_t i = 0; i < cpus_.size(); ++i) {
    args_[i] = {this, i};
    constexpr size_t kStack = 512 * 1024;
    cpus_[i].fiber = arena_ ? std::make_unique<Fiber>(fiber_entry, &args_[i], kStack,
                                                      static_cast<uint8_t*>(arena_->take(kStack, 4096)))
                            : std::make_unique<Fiber>(fiber_entry, &args_[i], kStack);
    check_records(i);  // records core_init logged
  }
}

// Run the CPU whose next recorded record is oldest: the replay then
// interleaves the CPUs much as the recording did. A vCPU paused inside its
// step by a debugger's trap goes on first.
int ReplayMachine::next_pick() {
  if (stop_) return -1;
  if (paused_ >= 0) return paused_;
  int pick = -1;
  uint64_t best = std::numeric_limits<uint64_t>::max();
  for (uint32_t i = 0; i < cpus_.size(); ++i) {
    if (!eligible(i)) continue;
    const ExpectedRecord* e = next(i);
    const uint64_t t = e ? e->tsc : std::numeric_limits<uint64_t>::max();
    if (pick < 0 || t < best) {
      pick = static_cast<int>(i);
      best = t;
    }
  }
  return pick;
}

bool ReplayMachine::step() {
  const int pick = next_pick();
  if (pick < 0) return false;
  current_ = pick;
  cpus_[pick].fiber->resume();
  current_ = -1;
  if (cpus_[pick].fiber->paused()) {
    paused_ = pick;
    return true;
  }
  paused_ = -1;
  last_stepped_ = pick;
  return true;
}

Attempt ReplayMachine::finish() {
  finish_checks();
  for (uint32_t i = 0; i < cpus_.size(); ++i) out_.progress.push_back(progress(i));
  out_.trace = trace_.in_order();
  // Matched records equal the log's: describe the kept ones from their bytes.
  for (TraceEntry& t : out_.trace)
    if (t.kind == TraceEntry::Kind::kEvent) t.text = describe(parse_record(t.text));
  return std::move(out_);
}

Attempt ReplayMachine::run() {
  start();
  while (step()) {
  }
  return finish();
}

// ---- checkpoints ----

bool ReplayMachine::can_checkpoint() { return Fiber::can_snapshot(); }

std::unique_ptr<ReplayCheckpoint> ReplayMachine::checkpoint() const {
  if (current_ >= 0 || paused_ >= 0) throw std::logic_error("replay checkpoint taken while a vCPU runs");
  auto c = std::make_unique<ReplayCheckpoint>();
  c->core_state = core_;
  c->memory = memory_->snapshot();
  c->lg_mem = lg_mem_;
  c->lg = lg_;
  for (const VCpu& v : cpus_) {
    c->cpus.push_back(v);
    c->fibers.push_back(v.fiber->snapshot());
  }
  c->epoch = epoch_;
  c->last_stepped = last_stepped_;
  c->stop = stop_;
  c->out = out_;
  c->trace = trace_;
  return c;
}

void ReplayMachine::restore(const ReplayCheckpoint& c) {
  if (current_ >= 0) throw std::logic_error("replay checkpoint restored while a vCPU runs");
  core_ = c.core_state;
  memory_->restore(c.memory);
  std::copy(c.lg_mem.begin(), c.lg_mem.end(), lg_mem_.begin());
  lg_ = c.lg;
  for (size_t i = 0; i < cpus_.size(); ++i) {
    static_cast<VCpuState&>(cpus_[i]) = c.cpus[i];
    cpus_[i].fiber->restore(c.fibers[i]);
  }
  epoch_ = c.epoch;
  last_stepped_ = c.last_stepped;
  stop_ = c.stop;
  out_ = c.out;
  trace_ = c.trace;
  paused_ = -1;  // a vCPU paused inside its step is given up
}

size_t ReplayMachine::checkpoint_bytes(const ReplayCheckpoint& c) {
  size_t n = sizeof c + c.memory.bytes.size() + c.lg_mem.size() * 8;
  for (const auto& f : c.fibers) n += f.stack.size();
  return n;
}

ReplayMachine::VcpuView ReplayMachine::view(uint32_t cpu) const {
  const VCpu& c = cpus_[cpu];
  VcpuView v;
  v.fiber = c.fiber.get();
  v.finished = c.finished;
  v.halted = c.halted;
  v.cut = c.parked;
  v.blocked = c.blocked;
  v.in_nmi = c.in_nmi;
  v.block_reason = block_text(c.block);
  v.last_point = c.last_point;
  v.progress = progress(cpu);
  v.next_record = c.next_record;
  return v;
}

bool ReplayMachine::owns(const void* p, uint64_t len) const {
  auto inside = [&](const void* base, uint64_t size) {
    auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base);
    return a >= b && len <= size && a - b <= size - len;
  };
  return inside(&core_, sizeof core_) || inside(memory_->at(0, memory_->size()), memory_->size());
}

}  // namespace nestrr::replay
