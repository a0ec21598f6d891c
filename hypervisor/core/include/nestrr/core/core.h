/*
 * Public API of the nested-VMX core: configuration, the per-CPU state, the
 * simulated VMX instructions of L1, L2 events, the NMI entry, EPT01 changes
 * through the quiesce protocol, PALs, and the step-wise workloads.
 *
 * The caller owns one `struct core` (no allocation: it is sized by
 * CORE_MAX_CPUS and friends) and one block of machine-physical memory
 * reached through `core_platform.phys`, laid out by `core_init`:
 *
 *   [0, l1_mem_size)                 L1 memory, identity-mapped by EPT01
 *   [l1_mem_size, +EPT01 pool)       EPT01 paging structures
 *   then per CPU: EPT02 pools        CORE_EPT02_CACHE x CORE_EPT02_PAGES
 *
 * `core_phys_size` tells how large that block must be.
 *
 * Fields of the structs below are the core's; read them through the
 * accessors (tests and the replayer may look, nobody else should write).
 */
#ifndef NESTRR_CORE_CORE_H
#define NESTRR_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nestrr/core/platform.h"
#include "nestrr/core/vmcs_fields.h"
#include "nestrr/core/vmx_defs.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CORE_MAX_CPUS 8
#define CORE_PAGE_SIZE 4096ull
#define CORE_VMCS_MAX_FIELDS 224  /* >= vmcs_field_count */
#define CORE_VMCS12_SLOTS 4       /* active VMCS12s cached per CPU */
#define CORE_EPT02_CACHE 4        /* EPT02 instances per CPU (LRU) */
#define CORE_EPT02_PAGES 32       /* paging-structure pages per EPT02 */
#define CORE_EPT01_PAGES 64       /* paging-structure pages of EPT01 */
#define CORE_VMCS12_NONE 0xffffffffu
#define CORE_VMCS_REVISION 0x4e525252u /* our VMCS revision identifier */
#define CORE_NO_VMCS_POINTER 0xffffffffffffffffull
#define CORE_PA_BITS 39u          /* physical-address width we report */
#define CORE_NO_CPU 0xffffffffu
#define CORE_BAD_HPA 0xfffffffffffff000ull /* translation of an unmapped gpa */

/* Which historical behaviour the core reproduces. */
enum core_variant {
  /* Flush of EPT01 rebuilds EPT02 only; VMCS02 guest-physical-address
   * fields keep their old translation. Mode in two flags. */
  CORE_VARIANT_EPT01_FLUSH_INCOMPLETE = 0,
  /* Flush re-walks the VMCS02 gpa fields (and so looks up the current
   * VMCS12 when "L2 runs"), mode still in two flags stored in the seed's
   * order: the VMXON race. */
  CORE_VARIANT_VMXON_TWO_FLAGS = 1,
  /* One tri-state mode; complete flush. */
  CORE_VARIANT_FIXED = 2,
  /* As fixed, but L0 injects an NMI meant for the guest straight into
   * VMCS01's VM-entry interruption information, without virtual NMIs and
   * NMI-window exiting: it reaches the guest even while the guest still runs
   * its NMI handler, which is not reentrant (XMHF64 thesis, "Injecting NMIs
   * into the Rich OS/Apps"). */
  CORE_VARIANT_NMI_INJECT_UNCHECKED = 3,
  /* As fixed, but intercept handlers keep their copy of VMCS01's event
   * fields without simulating NMI blocking: an NMI the NMI handler injects
   * (or asks an NMI window for) while an intercept handler runs is
   * overwritten when the handler writes its copy back, and lost (thesis,
   * "Simulating NMI Blocking"). */
  CORE_VARIANT_NMI_VMCS_OVERWRITE = 4,
};
#define CORE_VARIANT_COUNT 5

/* Parse "ept01-flush-incomplete" / "vmxon-two-flags" / "fixed" /
 * "nmi-inject-unchecked" / "nmi-vmcs-overwrite" (exact length `len`).
 * Returns false if unknown. */
bool core_variant_parse(const char *s, size_t len, enum core_variant *out);
const char *core_variant_name(enum core_variant v);

enum core_vmx_mode {
  CORE_VMX_DISABLED = 0, /* L1 not in VMX operation */
  CORE_VMX_ROOT = 1,     /* L1 in VMX root operation */
  CORE_VMX_NON_ROOT = 2, /* L2 running */
};

/* ---- simulated VMX instructions of L1 ---- */

enum core_vmx_insn_kind {
  CORE_VMXON = 1, CORE_VMXOFF, CORE_VMCLEAR, CORE_VMPTRLD, CORE_VMPTRST,
  CORE_VMREAD, CORE_VMWRITE, CORE_VMLAUNCH, CORE_VMRESUME, CORE_INVEPT,
};

/* How the instruction ended (SDM conventions). */
enum core_vmx_outcome {
  CORE_VMSUCCEED = 0,     /* CF=ZF=0 */
  CORE_VMFAIL_INVALID,    /* CF=1: no current VMCS */
  CORE_VMFAIL_VALID,      /* ZF=1: error number in VM-instruction error */
  CORE_VMX_UD,            /* #UD raised instead */
  CORE_VMX_ENTERED_L2,    /* VMLAUNCH/VMRESUME succeeded: L2 now runs */
};

struct core_vmx_result {
  enum core_vmx_outcome outcome;
  uint32_t error;   /* VM-instruction error number for VMFAIL_VALID */
  uint64_t value;   /* VMREAD value, VMPTRST pointer */
};

/* RFLAGS bits written by VMX instructions. */
#define CORE_RFLAGS_CF (1ull << 0)
#define CORE_RFLAGS_PF (1ull << 2)
#define CORE_RFLAGS_AF (1ull << 4)
#define CORE_RFLAGS_ZF (1ull << 6)
#define CORE_RFLAGS_SF (1ull << 7)
#define CORE_RFLAGS_OF (1ull << 11)
#define CORE_RFLAGS_ARITH (CORE_RFLAGS_CF | CORE_RFLAGS_PF | CORE_RFLAGS_AF | \
                           CORE_RFLAGS_ZF | CORE_RFLAGS_SF | CORE_RFLAGS_OF)

/* ---- workloads ---- */

enum core_workload_kind {
  CORE_WORKLOAD_IDLE = 0,  /* does nothing (still answers NMIs) */
  CORE_WORKLOAD_L1 = 1,    /* guest hypervisor running an L2 */
  CORE_WORKLOAD_PAL = 2,   /* TrustVisor-like PAL register/run/unregister */
  CORE_WORKLOAD_REMAP = 3, /* L0 moves L1 pages between machine locations */
  CORE_WORKLOAD_NMI = 4,   /* a guest CPU sending NMIs to the guests of the L1
                              CPUs, one at a time, each acknowledged by the
                              target guest's NMI handler (as Linux's NMI
                              backtrace does); two per L1 CPU an iteration */
};

struct core_workload_config {
  uint32_t kind;        /* enum core_workload_kind */
  uint32_t iterations;  /* outer loops (VMXON..VMXOFF, or PAL lifetimes) */
  uint32_t l2_exits;    /* L1: L2 exits per VMLAUNCH (then VMCLEAR) */
  uint32_t pal_pages;   /* PAL: pages isolated per registration (1..4) */
};

struct core_config {
  uint32_t cpu_count;            /* 1..CORE_MAX_CPUS */
  uint32_t variant;              /* enum core_variant */
  uint64_t l1_mem_size;          /* multiple of 2 MiB, >= 4 MiB */
  struct core_workload_config workload[CORE_MAX_CPUS];
};

/* ---- state ---- */

struct core_vmcs12 {
  uint64_t gpa;             /* VMPTRLD operand; 0 = slot free */
  uint32_t launched;        /* launch state: 0 clear, 1 launched */
  uint32_t lru;
  uint64_t value[CORE_VMCS_MAX_FIELDS]; /* indexed like vmcs_fields[] */
};

struct core_ept02 {
  uint64_t eptp12;          /* key: L1's EPT pointer (EPT12 root | flags) */
  uint64_t root_hpa;        /* EPT02 PML4 (fixed for the instance's life) */
  uint64_t pool_hpa;        /* CORE_EPT02_PAGES pages, root first */
  uint32_t pool_used;
  uint32_t valid;
  uint64_t lru;
  uint64_t fills;
};

/* L1 hypervisor workload state. */
struct core_wl_l1 {
  uint32_t pc;        /* next step */
  uint32_t iter;      /* outer iteration */
  uint32_t exits;     /* L2 exits in this launch */
  uint32_t write_idx; /* next VMWRITE of the setup list */
  uint32_t l2_page;   /* next L2 page to touch */
};

struct core_wl_pal {
  uint32_t pc;
  uint32_t iter;
  uint32_t registered;
  uint64_t pal_id;
};

struct core_wl_remap {
  uint32_t iter;
};

struct core_wl_nmi {
  uint32_t iter;
  uint32_t next;      /* NMIs sent so far (picks the next target) */
  uint32_t done;      /* left the count of senders */
};

/* NMIs meant for the guest, per CPU running L1 (guest_nmi.c). Only used
 * when some CPU runs the nmi workload. L0 runs L1 with VMCS01; of it, the
 * fields NMI virtualization touches are kept here. */
struct core_guest_nmi {
  /* VMCS01 */
  volatile uint32_t entry_intr;     /* VM-entry interruption information */
  volatile uint32_t proc_controls;  /* VMX_PROC_NMI_WINDOW_EXITING */
  volatile uint32_t guest_blocked;  /* guest interruptibility: blocking by NMI */
  /* L0 */
  volatile uint32_t owed;           /* NMIs waiting for the guest's NMI window */
  volatile uint32_t block;          /* simulated NMI blocking (the thesis' B) */
  volatile uint32_t deferred;       /* NMIs that arrived during it (V) */
  uint32_t copy_entry_intr;         /* an intercept handler's copy of VMCS01 */
  uint32_t copy_proc_controls;
  /* The guest's own NMI handler (simulated by the L1 workload). */
  uint32_t handler_pc;              /* 0: not in its handler */
  uint64_t taken;                   /* NMIs the guest took */
};

struct core;

struct core_vcpu {
  struct core *core;
  uint32_t id;
  uint32_t halted;
  uint64_t progress;        /* points passed (incl. wait_until and NMI) */

  /* VMX mode: vmxon-two-flags and ept01-flush-incomplete use the two
   * flags, fixed uses vmx_mode. */
  volatile uint32_t is_vmx_operation;
  volatile uint32_t is_vmx_root_operation;
  volatile uint32_t vmx_mode;  /* enum core_vmx_mode */
  uint64_t vmxon_pointer;
  volatile uint32_t cur_vmcs12;  /* slot index or CORE_VMCS12_NONE */
  uint32_t vmcs12_lru_clock;
  struct core_vmcs12 vmcs12[CORE_VMCS12_SLOTS];

  /* The simulated hardware VMCS that runs L2, indexed like vmcs_fields[]. */
  uint64_t vmcs02[CORE_VMCS_MAX_FIELDS];
  uint64_t l1_rflags;       /* L1's RFLAGS as VMX instructions leave it */

  struct core_ept02 ept02[CORE_EPT02_CACHE];
  uint32_t ept02_active;    /* index in ept02[] used by vmcs02, or NONE */
  uint64_t ept02_lru_clock;
  volatile uint32_t ept02_flush_block;   /* nesting depth of blocks */
  volatile uint32_t ept02_flush_pending; /* flush deferred by a block */
  uint32_t ept02_pending_origin;

  volatile uint32_t in_nmi;
  volatile uint32_t nmi_latched; /* arrived, not yet taken (core_nmi_latch) */
  uint32_t nmi_unlogged;    /* in the handler, its NmiReceived not yet reported */
  uint32_t point;           /* id of the last yield point entered */
  uint64_t nmi_count;
  uint64_t nmi_progress;    /* progress when the last NMI was taken */
  uint64_t quiesce_seen;    /* last quiesce generation handled */
  uint64_t rewalks;         /* EPT01 re-walks of VMCS02 done */

  struct core_wl_l1 wl_l1;
  struct core_wl_pal wl_pal;
  struct core_wl_remap wl_remap;
  uint32_t wl_done;
  uint32_t idle;            /* core_idle_enter was called */
  struct core_wl_nmi wl_nmi;
  struct core_guest_nmi gnmi;
};

struct core_quiesce {
  volatile uint32_t lock;
  volatile uint32_t initiator;
  volatile uint64_t generation;
  volatile uint64_t pending[CORE_MAX_CPUS];  /* generation requested, per CPU */
  volatile uint32_t acks;
  volatile uint32_t resumed;
  volatile uint64_t released;   /* generation released */
  uint32_t expected;
};

#define CORE_MAX_PALS CORE_MAX_CPUS
#define CORE_PAL_MAX_PAGES 4
struct core_pal {
  uint64_t id;      /* 0 = free */
  uint32_t cpu;
  uint64_t gpa;
  uint64_t pages;
  uint64_t hpa[CORE_PAL_MAX_PAGES]; /* where its pages really are */
  uint64_t runs;
};

struct core {
  struct core_config cfg;
  const struct core_platform *plat;
  uint64_t ept01_root;        /* hpa of EPT01 PML4 */
  uint64_t ept01_pool;        /* hpa of the EPT01 page pool */
  uint32_t ept01_pool_used;
  uint64_t ept02_pools;       /* hpa of the first CPU's EPT02 pools */
  uint64_t remap_area;        /* hpa of CORE_REMAP_SLOTS spare pages */
  uint64_t phys_size;
  struct core_quiesce quiesce;
  volatile uint32_t pal_lock;
  /* Per lock id: acquisitions so far, on every CPU. Counted by the holder
   * under the lock, so a log's tickets give the exact order (core_lock). */
  uint64_t lock_acquisitions[CORE_LOCK_IDS];
  uint64_t pal_next_id;
  struct core_pal pals[CORE_MAX_PALS];
  struct core_vcpu vcpu[CORE_MAX_CPUS];
  /* Guest NMIs: on when some CPU runs the nmi workload. */
  uint32_t guest_nmis;
  volatile uint32_t gnmi_senders;              /* nmi-workload CPUs not done */
  volatile uint64_t gnmi_sent[CORE_MAX_CPUS];  /* tickets handed out, per target */
  volatile uint64_t gnmi_taken[CORE_MAX_CPUS]; /* taken by its L0 NMI handler */
  volatile uint64_t gnmi_acked[CORE_MAX_CPUS]; /* acknowledged by its guest */
};

/* ---- setup ---- */

/* Bytes of machine-physical memory `core_init` needs for this config. */
uint64_t core_phys_size(const struct core_config *cfg);

/* Lay out memory, build EPT01 (identity map of L1 memory, RWX, 4 KiB
 * pages) and reset all CPUs. Returns false if the config is unusable or
 * memory is too small. Single-threaded: call before any CPU runs. */
bool core_init(struct core *c, const struct core_config *cfg,
               const struct core_platform *plat);

/* Resume from a copy of a `struct core` taken while every CPU stood between
 * two workload steps (or idled) with no NMI latched or in progress, e.g. a
 * flight recorder's key frame; the caller restores machine memory itself.
 * `image` is that copy (`bytes` must be sizeof(struct core)); its config
 * must equal `cfg`. Re-points the copy at `plat` and at `c`. False if the
 * image does not fit this build or that config. */
bool core_resume(struct core *c, const void *image, size_t bytes,
                 const struct core_config *cfg, const struct core_platform *plat);

static inline struct core_vcpu *core_cpu(struct core *c, uint32_t cpu) {
  return &c->vcpu[cpu];
}

/* ---- L1 executes a VMX instruction (simulated intercept) ---- */

/* `op` is the memory operand's guest-physical address (VMXON, VMCLEAR,
 * VMPTRLD), the field encoding (VMREAD, VMWRITE), the INVEPT type; `op2`
 * is the VMWRITE value or the INVEPT descriptor's EPT pointer. Updates L1's
 * RFLAGS and, for VMfailValid, the current VMCS12's VM-instruction error. */
void core_vmx_insn(struct core_vcpu *v, enum core_vmx_insn_kind insn,
                   uint64_t op, uint64_t op2, struct core_vmx_result *res);

/* ---- L2 events (only while L2 runs) ---- */

/* L2 exits to L1 (the hardware VM exit of VMCS02, reflected to L1). */
void core_l2_exit(struct core_vcpu *v, uint32_t reason, uint64_t qualification);

enum core_l2_access {
  CORE_L2_ACCESS_OK = 0,     /* translated (EPT02 filled if needed) */
  CORE_L2_ACCESS_EXIT = 1,   /* EPT12 does not map it: exited to L1 */
  CORE_L2_ACCESS_L0 = 2,     /* EPT01 does not map it (e.g. PAL page) */
};
/* L2 touches guest-physical address `l2_gpa`; *hpa gets the translation. */
enum core_l2_access core_l2_access(struct core_vcpu *v, uint64_t l2_gpa,
                                   uint64_t *hpa);

/* ---- NMI ---- */

/* Where an NMI is taken (platform.h, "NMIs"): always at a yield point,
 * so its logged progress count names exactly one delivery position.
 *
 * core_nmi: the NMI handler of `cpu`, run now. For platforms that decide
 * delivery themselves (replay, explore): call it on the CPU's own stack from
 * inside `point` or `wait_until`, or while idle.
 *
 * core_nmi_latch: an NMI arrived asynchronously (a signal handler, the IDT's
 * NMI entry) on `cpu`: count it, nothing else. NMI-safe. The core takes
 * latched NMIs right after the platform's `point` returns, before the access
 * that point guards; the platform's spin loops take them with core_nmi_poll.
 *
 * core_nmi_poll: take the NMIs latched on `cpu` now (inside wait_until's
 * spin and the idle loop). Returns how many were taken; 0 while `cpu` is in
 * its NMI handler (NMIs do not nest: they stay latched until it returns). */
void core_nmi(struct core *c, uint32_t cpu);
void core_nmi_latch(struct core *c, uint32_t cpu);
uint32_t core_nmi_poll(struct core *c, uint32_t cpu);

/* The CPU's workload is done (core_workload_step returned false): its last
 * yield point, CORE_POINT_IDLE. The CPU idles there and still takes NMIs. */
void core_idle_enter(struct core *c, uint32_t cpu);

/* ---- EPT01 changes (quiesce) ---- */

typedef void (*core_ept01_change_fn)(struct core_vcpu *v, void *arg);
/* Stop every other CPU, run fn (which edits EPT01 with the functions
 * below), flush everywhere, release. */
void core_ept01_change(struct core_vcpu *v, core_ept01_change_fn fn, void *arg);
/* Set the EPT01 leaf of `gpa` to `hpa` with permissions `rwx` (EPT_R|...;
 * 0 unmaps). Only inside a core_ept01_change callback (or before CPUs run). */
bool core_ept01_map(struct core_vcpu *v, uint64_t gpa, uint64_t hpa, uint64_t rwx);
/* Translate L1 gpa through the current EPT01. false if not mapped. */
bool core_ept01_translate(struct core_vcpu *v, uint64_t gpa, uint64_t *hpa);

/* ---- L1 memory helpers (for workloads and tests) ---- */
bool core_l1_write64(struct core_vcpu *v, uint64_t gpa, uint64_t value);
bool core_l1_read64(struct core_vcpu *v, uint64_t gpa, uint64_t *value);
bool core_l1_zero_page(struct core_vcpu *v, uint64_t gpa);

/* ---- PAL ---- */
/* Isolate `pages` pages at `gpa` from L1 (EPT01 unmapped via quiesce).
 * Returns the PAL id, 0 on failure. */
uint64_t core_pal_register(struct core_vcpu *v, uint64_t gpa, uint64_t pages);
/* Run the PAL once: touches its pages through its private mapping. */
bool core_pal_run(struct core_vcpu *v, uint64_t pal_id);
bool core_pal_unregister(struct core_vcpu *v, uint64_t pal_id);

/* ---- workloads ---- */
/* One step of this CPU's configured workload (one simulated instruction or
 * one L2 event). Returns false once the workload is complete. */
bool core_workload_step(struct core *c, uint32_t cpu);

/* ---- inspection ---- */
enum core_vmx_mode core_vmx_mode_peek(const struct core_vcpu *v); /* no point */
uint64_t core_vmcs02_read(const struct core_vcpu *v, uint32_t encoding);
/* Current VMCS12 value of a field (0 if none). */
uint64_t core_vmcs12_peek(const struct core_vcpu *v, uint32_t encoding);
static inline uint64_t core_vcpu_progress(const struct core_vcpu *v) {
  return v->progress;
}
/* Id of the yield point the CPU entered last (enum core_point). */
static inline uint32_t core_vcpu_point(const struct core_vcpu *v) {
  return v->point;
}
/* True once the CPU's workload is done and it idles (core_idle_enter). */
static inline bool core_vcpu_idle(const struct core_vcpu *v) {
  return v->idle != 0;
}
static inline bool core_vcpu_in_nmi(const struct core_vcpu *v) {
  return v->in_nmi != 0;
}
/* True between taking an NMI and reporting its CORE_EV_NMI_RECEIVED (the
 * handler's first point lies between). A platform that stops CPUs must not
 * stop one there, or its log would not show the NMI it took. */
static inline bool core_vcpu_nmi_unlogged(const struct core_vcpu *v) {
  return v->nmi_unlogged != 0;
}
/* NMIs the guest of this CPU took (nmi workload). */
static inline uint64_t core_vcpu_guest_nmis(const struct core_vcpu *v) {
  return v->gnmi.taken;
}

/* The ticket of the acquisition that holds `lock` now: the lock's
 * acquisitions before it, on every CPU. Meaningful while held, e.g. in the
 * platform's lock_acquired callback. */
static inline uint64_t core_lock_ticket(const struct core *c, uint32_t lock) {
  return lock < CORE_LOCK_IDS ? c->lock_acquisitions[lock] - 1 : 0;
}

/* Names of the core's functions that only carry a CPU to its platform
 * callbacks (a point, a wait, an event, an assertion), null-terminated: a
 * debugger of a parked CPU skips their frames to show where it stands. */
extern const char *const core_platform_glue[];

/* Workload memory map (L1 guest-physical), per CPU. */
uint64_t core_wl_l1_region(uint32_t cpu);
#define CORE_WL_VMXON 0x0000ull
#define CORE_WL_VMCS12 0x1000ull
#define CORE_WL_IO_A 0x3000ull
#define CORE_WL_IO_B 0x4000ull
#define CORE_WL_MSR 0x5000ull
#define CORE_WL_EPT12 0x6000ull   /* PML4, PDPT, PD, PT: 4 pages */
#define CORE_WL_L2_MEM 0x10000ull /* 16 pages of L2 memory */
#define CORE_WL_L2_PAGES 16u
uint64_t core_wl_pal_region(uint32_t cpu);
/* Remap workload: the L1 pages it moves (I/O bitmaps A and B and the MSR
 * bitmap of every CPU that runs L1), each to its own spare page and back. */
#define CORE_REMAP_SLOTS 24u

#ifdef __cplusplus
}
#endif

#endif
