/* nestrr/logger.h: the nestrr hypervisor logger, for C hypervisors.
 *
 * Freestanding C11: no libc, no allocation, no floating point; builds for
 * x86-64 and i386 (-march=i686 or later, for cmpxchg8b). Safe to call from
 * an NMI handler that interrupted another log call on the same CPU.
 *
 * Usage
 *
 *   static struct nestrr_logger lg;
 *   static unsigned char lg_mem[NESTRR_LOGGER_MEMORY_BYTES(MAX_CPUS, 64 * 1024)]
 *       __attribute__((aligned(8)));
 *
 *   struct nestrr_config cfg = {0};
 *   cfg.cpu_count = ncpus;             cfg.ring_bytes = 64 * 1024;
 *   cfg.memory = lg_mem;               cfg.memory_bytes = sizeof lg_mem;
 *   cfg.mode = NESTRR_MODE_STREAM;     cfg.write = uart_write;  // or FLIGHT
 *   cfg.tsc_hz = tsc_hz;               cfg.description = "xmhf64 fixed";
 *   nestrr_logger_init(&lg, &cfg);     // stream: writes the Header frame
 *
 *   nestrr_log_vm_exit(&lg, cpu, reason, qualification, guest_rip, from_l2);
 *   nestrr_log_nmi_received(&lg, cpu, NESTRR_CPU_UNKNOWN, token, rip, progress);
 *   ...                                // one line per call site
 *   nestrr_logger_flush(&lg, cpu);     // stream: at a safe point (not in NMI)
 *   NESTRR_ASSERT(&lg, cpu, cond);     // nestrr/assert.h: log, dump, halt
 *   nestrr_logger_finish(&lg);         // stream: drain all, Trailer frames
 *   nestrr_logger_dump(&lg);           // flight recorder: write the last
 *                                      // records of every CPU, oldest first
 *
 * Log calls return true when the record was stored and false when it was
 * dropped (ring full, bad cpu); drops are reported in the stream as
 * RecordsLost records, so call sites may ignore the result.
 * Frames go to `write` whole, one at a time (a spin lock serializes CPUs):
 * flush, finish and dump must not run in NMI context.
 *
 * Building: compile the .c files of src/ with the hypervisor (on the host:
 * CMake target nestrr_logger). The freestanding check in CTest uses
 *   -std=c11 -ffreestanding -nostdlib -fno-builtin -mno-red-zone -fno-pic
 *   -mgeneral-regs-only  (plus -m32 -march=i686 for i386)
 * and links without libgcc. nestrr/fields.h is generated from the schema;
 * the checked-in copy is kept current by a test.
 *
 * Limits: sequence numbers and drop counters are 32 bits in the ring and
 * widened by the consumer, which must visit each ring at least once per
 * 2^32 records; ring positions wrap at 4 GiB. */
#ifndef NESTRR_LOGGER_H
#define NESTRR_LOGGER_H

#include <stdbool.h>
#include <stdint.h>

#include "nestrr/fields.h"
#include "nestrr/frame.h"
#include "nestrr/ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ABI of this header (struct layouts, slot payloads). Raised on change. */
#define NESTRR_LOGGER_ABI_VERSION 6u
/* Schema version written in Header.format_version. */
#define NESTRR_FORMAT_VERSION 4u
/* NmiReceived source when the receiver cannot know it. */
#define NESTRR_CPU_UNKNOWN 0xffffffffu

/* Bounds of variable-size records (each one fits one frame). */
#define NESTRR_ASSERT_STACK_MAX 512u  /* stack bytes in an AssertionFailure */
#define NESTRR_ASSERT_FRAMES_MAX 16u  /* return addresses */
#define NESTRR_ASSERT_TEXT_MAX 120u   /* condition and file name, each */
#define NESTRR_MEMORY_CHUNK_MAX 256u  /* data bytes per MemorySnapshot record */
#define NESTRR_MEMORY_LABEL_MAX 32u

/* General registers, as in nestrr.v1.Registers (upper halves 0 on i386). */
struct nestrr_regs {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rip, rflags;
  uint64_t cs, ss;
  uint64_t cr0, cr3, cr4;
};
#define NESTRR_REGS_COUNT 23u
NESTRR_STATIC_ASSERT(sizeof(struct nestrr_regs) == NESTRR_REGS_COUNT * 8u, "regs layout");

/* A loaded image, for Header.module. */
struct nestrr_module {
  const char *name;
  const unsigned char *build_id;
  uint32_t build_id_bytes;
  uint64_t load_bias;
};

/* What ran, for Header.scenario, when the log comes from a run of nestrr's
 * own core (record, explore, testbox): enough to re-create the run. Strings
 * are read when a Header frame is written, so they must outlive the logger.
 * Each string is cut at 1024 bytes; the whole Header must fit one frame. */
struct nestrr_scenario {
  const char *variant;              /* "vmxon-two-flags", ... */
  uint64_t seed;
  const char *const *cpu_workload;  /* index = CPU: "l1", "pal", ... */
  uint32_t cpu_workload_count;
  uint64_t iterations;
  const char *const *option;        /* "widen=vmxon:2000", ... */
  uint32_t option_count;
  const char *origin;               /* "record", "explore", "testbox" */
};

/* Byte sink: a UART, a socket, a buffer. Called with whole frame lines. */
typedef void (*nestrr_write_fn)(void *ctx, const char *bytes, unsigned long n);
/* Optional clock (tests, simulators); 0 = rdtsc. */
typedef uint64_t (*nestrr_clock_fn)(void *ctx);
/* Optional memory check for the assertion path's stack walk: true if
 * [addr, addr + n) may be read without faulting. */
typedef bool (*nestrr_addr_ok_fn)(void *ctx, uintptr_t addr, uintptr_t n);

struct nestrr_config {
  uint32_t cpu_count;
  uint32_t ring_bytes;      /* per CPU, power of two >= NESTRR_RING_MIN_BYTES */
  enum nestrr_ring_mode mode;
  void *memory;             /* NESTRR_LOGGER_MEMORY_BYTES(cpu_count, ring_bytes) */
  unsigned long memory_bytes;
  nestrr_write_fn write;    /* may be 0 until a dump is wanted (flight) */
  void *write_ctx;
  uint64_t tsc_hz;          /* 0 if unknown */
  const char *description;  /* Header.description, may be 0 */
  const struct nestrr_module *modules;
  uint32_t module_count;
  nestrr_clock_fn clock;
  void *clock_ctx;
  nestrr_addr_ok_fn addr_ok;
  void *addr_ok_ctx;
  /* Stream: repeat the Header frame after every this many chunk frames, so
   * a reader that joins late (a console attached mid-run) learns it.
   * 0 = only at init. */
  uint32_t header_every_frames;
  /* Header.scenario; 0 = none. */
  const struct nestrr_scenario *scenario;
  /* In-process consumers (a replay checking what it re-executes): when
   * set, each packet's payload is handed over unframed (no ~N mark, base64
   * or CRC) instead of going to `write`. 0 = frames to `write`. */
  nestrr_write_fn packet;
  void *packet_ctx;
  /* Flight mode: the key-frame store (nestrr_logger_keyframe_take), two
   * key frames of at most half of it each; 0 = no key frames. */
  void *keyframe_memory;
  unsigned long keyframe_bytes;
  /* Time deltas in units of 2^dt_shift TSC ticks (Packet.dt_shift, at
   * most 16): 6 keeps 64-tick (25 ns at 2.5 GHz) resolution and saves
   * about a byte a record. 0 = exact ticks. */
  uint32_t dt_shift;
  /* Write VM exits as Records, one message each, instead of columns
   * (Packet.exits): for in-process consumers that compare records one at
   * a time (a replay). Costs about three times the bytes. */
  bool records_only;
};

/* Encoding scratch: one frame's payload and line, one slot copy, and the
 * pieces of a chunk while it fills: its Records, the columns of its VM
 * exits, its order runs (Packet.record, Packet.exits, Packet.order). */
struct nestrr_scratch {
  unsigned char payload[NESTRR_FRAME_MAX_PAYLOAD];
  char line[NESTRR_FRAME_MAX_LINE];
  uint64_t slot[NESTRR_SLOT_MAX / 8u];
  unsigned char records[NESTRR_FRAME_MAX_PAYLOAD];
  unsigned char col[5][NESTRR_FRAME_MAX_PAYLOAD]; /* head, dt, reason, rip, qualification */
  unsigned char order[NESTRR_FRAME_MAX_PAYLOAD];
};

/* Per-CPU state, carved from config.memory together with the ring bytes. */
struct nestrr_cpu_state {
  struct nestrr_ring ring;
  struct nestrr_scratch scratch; /* owned by whoever holds ring.consumer_busy */
};

#define NESTRR_LOGGER_MEMORY_BYTES(cpus, ring_bytes) \
  ((unsigned long)(cpus) * (sizeof(struct nestrr_cpu_state) + 8u + (unsigned long)(ring_bytes)))

struct nestrr_logger {
  uint32_t abi_version;
  uint32_t cpu_count;
  uint32_t mode;
  uint32_t sink_lock;
  uint32_t dump_busy;
  uint32_t ring_bytes;
  uint32_t frames_since_header;
  struct nestrr_cpu_state *cpus;
  unsigned char *rings;
  struct nestrr_config config;
  struct nestrr_scratch dump_scratch; /* owned by whoever holds dump_busy */
  /* Key frames: which half of the store holds the newest published one,
   * whether the other holds one taken and not yet published, the last id. */
  uint32_t kf_newest;
  uint32_t kf_pending;
  uint64_t kf_last_id;
};

/* Sets up the logger over config->memory. Stream mode with a sink: writes
 * the Header frame. False if the config is unusable. */
bool nestrr_logger_init(struct nestrr_logger *lg, const struct nestrr_config *config);

/* Events. cpu is the logging CPU (0..cpu_count-1). */
bool nestrr_log_vm_exit(struct nestrr_logger *lg, uint32_t cpu, uint32_t reason,
                        uint64_t qualification, uint64_t guest_rip, bool from_l2);
bool nestrr_log_vm_entry(struct nestrr_logger *lg, uint32_t cpu, bool to_l2, bool launch);
bool nestrr_log_nmi_sent(struct nestrr_logger *lg, uint32_t cpu, uint32_t target_cpu,
                         uint64_t token);
bool nestrr_log_nmi_received(struct nestrr_logger *lg, uint32_t cpu, uint32_t source_cpu,
                             uint64_t token, uint64_t interrupted_rip, uint64_t progress);
bool nestrr_log_quiesce_begin(struct nestrr_logger *lg, uint32_t cpu, uint64_t generation);
bool nestrr_log_quiesce_ack(struct nestrr_logger *lg, uint32_t cpu, uint32_t initiator_cpu,
                            uint64_t generation);
bool nestrr_log_quiesce_end(struct nestrr_logger *lg, uint32_t cpu, uint64_t generation);
/* flags: NESTRR_EPT_FLUSH_FLAG_*, origin: NESTRR_EPT_FLUSH_ORIGIN_*. */
bool nestrr_log_ept_flush(struct nestrr_logger *lg, uint32_t cpu, uint32_t flags,
                          uint32_t origin);
bool nestrr_log_ept01_rewalk(struct nestrr_logger *lg, uint32_t cpu, uint32_t fields,
                             uint32_t changed);
/* NESTRR_VMX_MODE_*. */
bool nestrr_log_vmx_mode(struct nestrr_logger *lg, uint32_t cpu, uint32_t old_mode,
                         uint32_t new_mode);
bool nestrr_log_vmcs12_load(struct nestrr_logger *lg, uint32_t cpu, uint64_t vmcs12_gpa);
bool nestrr_log_vmcs12_clear(struct nestrr_logger *lg, uint32_t cpu, uint64_t vmcs12_gpa);
bool nestrr_log_pal_register(struct nestrr_logger *lg, uint32_t cpu, uint64_t pal_id,
                             uint64_t gpa, uint64_t size);
bool nestrr_log_pal_unregister(struct nestrr_logger *lg, uint32_t cpu, uint64_t pal_id);
/* kind: NESTRR_VMX_INSTRUCTION_KIND_*, outcome: NESTRR_VMX_INSTRUCTION_OUTCOME_*,
 * error: VM-instruction error number for OUTCOME_FAIL_VALID. */
bool nestrr_log_vmx_instruction(struct nestrr_logger *lg, uint32_t cpu, uint32_t kind,
                                uint32_t outcome, uint32_t error);
/* permissions: 1 read, 2 write, 4 execute; 0 = unmapped. */
bool nestrr_log_ept01_change(struct nestrr_logger *lg, uint32_t cpu, uint64_t gpa, uint64_t size,
                             uint64_t hpa, uint32_t permissions);
/* One VMCS02 guest-physical-address field and its translation. */
struct nestrr_gpa_field {
  uint32_t encoding; /* VMCS field encoding */
  uint32_t reserved;
  uint64_t gpa, hpa;
};
#define NESTRR_VMCS02_FIELDS_MAX 48u
/* All GPA fields of the VMCS02 in one record; more than
 * NESTRR_VMCS02_FIELDS_MAX are cut (and the call returns false). */
bool nestrr_log_vmcs02_translation(struct nestrr_logger *lg, uint32_t cpu,
                                   const struct nestrr_gpa_field *fields, uint32_t count);
/* kind: NESTRR_SYNC_POINT_KIND_* (a lock acquisition: the call below). */
bool nestrr_log_sync_point(struct nestrr_logger *lg, uint32_t cpu, uint32_t object,
                           uint64_t progress, uint32_t kind);
/* A lock acquisition: SyncPoint KIND_ACQUIRE of `lock` with its `ticket`,
 * the acquisitions of that lock on all CPUs before this one. Log it while
 * holding the lock, so that tickets and the lock agree. */
bool nestrr_log_lock_acquired(struct nestrr_logger *lg, uint32_t cpu, uint32_t lock,
                              uint64_t progress, uint64_t ticket);
/* Copies `len` bytes at `bytes` (logged as address `addr`) in records of
 * at most NESTRR_MEMORY_CHUNK_MAX bytes. True if every record was stored.
 * label may be 0; longer than NESTRR_MEMORY_LABEL_MAX is cut. */
bool nestrr_log_memory(struct nestrr_logger *lg, uint32_t cpu, uint64_t addr, const void *bytes,
                       uint32_t len, const char *label);
/* The assertion record (nestrr/assert.h has the helper that fills it in).
 * Strings are copied (cut at NESTRR_ASSERT_TEXT_MAX), frames at most
 * NESTRR_ASSERT_FRAMES_MAX, stack bytes at most NESTRR_ASSERT_STACK_MAX. */
bool nestrr_log_assertion(struct nestrr_logger *lg, uint32_t cpu, const char *cond,
                          const char *file, uint32_t line, const struct nestrr_regs *regs,
                          const uint64_t *return_addrs, uint32_t frame_count,
                          uint64_t stack_addr, const void *stack, uint32_t stack_bytes);

/* Stream mode: encodes the committed records of `cpu` into frames and
 * writes them; reports drops as a RecordsLost record. Returns at once if
 * another CPU is draining this ring. Any CPU may flush any ring. */
void nestrr_logger_flush(struct nestrr_logger *lg, uint32_t cpu);
/* Stream mode: flushes every CPU and writes a Trailer frame per CPU. */
void nestrr_logger_finish(struct nestrr_logger *lg);
/* Flight mode: writes a Header, then per CPU its records oldest first (with
 * a RecordsLost for what was overwritten since the previous dump) and a
 * Trailer, then the key frames kept (older first). Rings keep their
 * contents. Returns at once if a dump runs. Stream mode: same as finish. */
void nestrr_logger_dump(struct nestrr_logger *lg);

/* ---- key frames (flight mode) ----
 * A flight recorder keeps only the last records of each CPU, so a replay
 * cannot start from the beginning of the run. A key frame is what it starts
 * from instead: the state the hypervisor needs to resume (its own choice of
 * memory regions) together with each CPU's next sequence number, copied
 * while every CPU stands still between two steps of its work (the caller's
 * barrier). The store keeps the last two; the dump writes them as
 * KeyFramePiece packets, and a replay picks the oldest whose following
 * records are all still in the rings. */
#define NESTRR_KEYFRAME_REGIONS_MAX 4u
#define NESTRR_KEYFRAME_PIECE_BYTES 1024u
struct nestrr_region {
  const char *name;   /* KeyFramePiece.Region.name, e.g. "core" */
  const void *data;
  uint64_t bytes;
  uint32_t sparse;    /* 1: pieces that are all zero are left out */
  uint32_t reserved;
};
/* Copies `n` regions into the store's older half (that key frame is gone
 * from then on). Nothing is visible until nestrr_logger_keyframe_publish.
 * False if there is no store, n is too large or the half is too small. */
bool nestrr_logger_keyframe_take(struct nestrr_logger *lg, const struct nestrr_region *regions,
                                 uint32_t n);
/* Makes the key frame just taken the newest (call once the caller knows
 * its barrier held for the whole copy); without it the copy is dropped. */
void nestrr_logger_keyframe_publish(struct nestrr_logger *lg);
/* Records `cpu` committed since the newest published key frame (since the
 * start without one). For the caller's "a key frame is due" test. */
uint32_t nestrr_logger_since_keyframe(const struct nestrr_logger *lg, uint32_t cpu);

/* Bytes free in `cpu`'s ring right now (stream mode: what the next drain
 * has not yet made room for). A record needs at most NESTRR_SLOT_MAX plus
 * one pad. For a caller that must not lose a record (an assertion path)
 * and can wait for another CPU to drain. */
uint32_t nestrr_logger_room(const struct nestrr_logger *lg, uint32_t cpu);

/* Records dropped or overwritten on `cpu` so far. */
uint32_t nestrr_logger_dropped(const struct nestrr_logger *lg, uint32_t cpu);

#ifdef __cplusplus
}
#endif

#endif /* NESTRR_LOGGER_H */
