/*
 * The platform interface of the nested-VMX core: everything the core needs
 * from the machine it runs on, and nothing more.
 *
 * The core is freestanding C11 (no libc, no allocation). The same source runs
 *   - on the host, recording (threads + signals as NMIs),
 *   - on the host, replaying (fibers under a deterministic scheduler) and
 *     exploring schedules,
 *   - on bare metal in the QEMU testbox (real CPUs, real NMIs).
 * Each of those fills one `struct core_platform`. VMX itself is simulated:
 * the "hardware" VMCS02 is plain memory inside `struct core_vcpu`, so
 * VMREAD/VMWRITE of it need no platform call.
 *
 * Determinism contract (design.md, "Determinism"):
 *   - The core calls `point` before EVERY access to state that is shared
 *     with another CPU or with this CPU's NMI handler. Each call increments
 *     the CPU's progress counter (`core_vcpu_progress`). A platform may switch
 *     CPUs there.
 *   - Spin waits go through `wait_until`, which counts as ONE point however
 *     long it spins.
 *   - NMIs are taken only at points (core.h, core_nmi / core_nmi_latch): at
 *     a `point`, after the callback returns and before the access it
 *     guards; inside `wait_until`, between evaluations of the predicate; and
 *     at the idle point. An NMI that arrives at any other instruction is
 *     latched and taken at the CPU's next point, which is equivalent: by the
 *     first rule, no shared access lies between the instruction it arrived
 *     at and that point. So the progress count at which the handler runs
 *     (NmiReceived.progress) names one position, and replay delivers it
 *     there without searching. Never while the CPU is in its handler: NMIs
 *     do not nest, as on hardware.
 *   - Lock acquisitions and releases are reported through `lock_acquired` /
 *     `lock_released` so a recorder can log their order.
 * Nothing else in the core is a scheduling point.
 */
#ifndef NESTRR_CORE_PLATFORM_H
#define NESTRR_CORE_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Yield point ids: where a CPU is when it calls `point` (or `wait_until`).
 * Stable numbers: they appear in logs. Add at the end only. */
enum core_point {
  CORE_POINT_NONE = 0,
  /* VMX mode reads (the NMI handler reads the mode too). */
  CORE_POINT_MODE_READ = 1,            /* tri-state mode read */
  CORE_POINT_MODE_READ_OPERATION = 2,  /* two-flags: read is_vmx_operation */
  CORE_POINT_MODE_READ_ROOT = 3,       /* two-flags: read is_vmx_root_operation */
  CORE_POINT_MODE_WRITE = 4,           /* mode change outside VMXON */
  /* Inside the VMXON handler, before each store the NMI handler can see. */
  CORE_POINT_VMXON_SET_OPERATION = 10, /* two-flags: is_vmx_operation = 1 */
  CORE_POINT_VMXON_SET_ROOT = 11,      /* two-flags: is_vmx_root_operation = 1 */
  CORE_POINT_VMXON_CLEAR_CURRENT = 12, /* current VMCS12 = none */
  CORE_POINT_VMXON_SET_MODE = 13,      /* fixed: mode = root */
  /* Current-VMCS12 pointer (read by find_current_vmcs12 from the NMI). */
  CORE_POINT_CUR_VMCS12_READ = 20,
  CORE_POINT_CUR_VMCS12_WRITE = 21,
  /* EPT01 is shared by all CPUs (changed under quiesce). */
  CORE_POINT_EPT01_WALK = 30,
  CORE_POINT_EPT01_WRITE = 31,
  /* EPT02 flush blocking, shared with the NMI handler. */
  CORE_POINT_EPT02_BLOCK = 40,
  CORE_POINT_EPT02_UNBLOCK = 41,
  CORE_POINT_EPT02_FLUSH = 42,
  CORE_POINT_EPT02_FILL = 43,
  CORE_POINT_VMCS02_REWALK = 44,
  /* Quiesce protocol. */
  CORE_POINT_QUIESCE_LOCK = 50,        /* wait_until: took the quiesce lock */
  CORE_POINT_QUIESCE_REQUEST = 51,     /* initiator posts the request */
  CORE_POINT_QUIESCE_WAIT_ACKS = 52,   /* wait_until: all others stopped */
  CORE_POINT_QUIESCE_RELEASE = 53,     /* initiator releases */
  CORE_POINT_QUIESCE_WAIT_RESUMED = 54,/* wait_until: all others flushed */
  CORE_POINT_QUIESCE_UNLOCK = 55,
  CORE_POINT_NMI_CHECK = 56,           /* NMI handler reads the request */
  CORE_POINT_NMI_ACK = 57,             /* NMI handler acknowledges */
  CORE_POINT_NMI_WAIT_RELEASE = 58,    /* wait_until: initiator released */
  CORE_POINT_NMI_RESUMED = 59,         /* NMI handler reports flushed */
  /* PAL registry (shared by all CPUs). */
  CORE_POINT_PAL_LOCK = 60,            /* wait_until: took the PAL lock */
  CORE_POINT_PAL_UNLOCK = 61,
  /* The workload is done; the CPU idles here (core_idle_enter). */
  CORE_POINT_IDLE = 70,
  /* NMIs meant for the guest (the nmi workload; guest_nmi.c). */
  CORE_POINT_GNMI_SEND = 80,       /* a guest CPU takes a ticket and sends */
  CORE_POINT_GNMI_WAIT_ACK = 81,   /* wait_until: the target's guest acknowledged */
  CORE_POINT_GNMI_SENDER_DONE = 82,/* the sender leaves the count of senders */
  CORE_POINT_GNMI_VIRTUALIZE = 83, /* L0's NMI virtualization: VMCS01's NMI state */
  CORE_POINT_GNMI_BLOCK = 84,      /* an intercept handler starts simulated NMI blocking */
  CORE_POINT_GNMI_UNBLOCK = 85,    /* ... ends it; deferred NMIs are virtualized */
  CORE_POINT_VMCS01_READ = 86,     /* an intercept handler copies VMCS01's event fields */
  CORE_POINT_VMCS01_WRITE = 87,    /* ... and writes its copy back */
  CORE_POINT_VM_ENTRY_L1 = 88,     /* L0 resumes L1: the injected event is delivered */
  CORE_POINT_GUEST_NMI_ACK = 89,   /* the guest's NMI handler acknowledges */
  CORE_POINT_GUEST_IRET = 90,      /* the guest's NMI handler returns (IRET) */
  CORE_POINT_GUEST_IDLE = 91,      /* wait_until: the guest idles for NMIs or the end */
  CORE_POINT_GNMI_LOCK = 92,       /* wait_until: L0 takes the quiesce lock to send it */
  CORE_POINT_GNMI_WAIT_TAKEN = 93, /* wait_until: the target's NMI handler took it */
  CORE_POINT_GNMI_UNLOCK = 94,     /* L0 gives the quiesce lock back */
  CORE_POINT_GNMI_TAKEN = 95,      /* NMI handler: counts a guest NMI as taken */
};

/* Lock ids reported to lock_acquired / lock_released. */
enum core_lock_id {
  CORE_LOCK_QUIESCE = 1,
  CORE_LOCK_PAL = 2,
};
#define CORE_LOCK_IDS 3u /* ids are below this */

/* Events for the log. Meaning of a, b, c per kind; they map one to one onto
 * records of proto/nestrr.proto (the host glue does the mapping). */
enum core_event_kind {
  CORE_EV_VM_EXIT = 1,        /* a=basic exit reason, b=qualification, c=from_l2 */
  CORE_EV_VM_ENTRY = 2,       /* a=to_l2, b=launch */
  CORE_EV_NMI_SENT = 3,       /* a=target cpu, b=token (quiesce generation) */
  CORE_EV_NMI_RECEIVED = 4,   /* a=progress when taken, b=token (0: not a
                                 quiesce NMI), c=source cpu or CORE_NO_CPU */
  CORE_EV_QUIESCE_BEGIN = 5,  /* a=generation */
  CORE_EV_QUIESCE_ACK = 6,    /* a=initiator cpu, b=generation */
  CORE_EV_QUIESCE_END = 7,    /* a=generation */
  CORE_EV_EPT_FLUSH = 8,      /* a=flags (CORE_FLUSH_*), b=origin (CORE_ORIGIN_*) */
  CORE_EV_EPT01_REWALK = 9,   /* a=fields re-translated, b=fields changed */
  CORE_EV_VMX_MODE_CHANGE = 10, /* a=old mode, b=new mode (enum core_vmx_mode) */
  CORE_EV_VMCS12_LOAD = 11,   /* a=vmcs12 gpa */
  CORE_EV_VMCS12_CLEAR = 12,  /* a=vmcs12 gpa */
  CORE_EV_PAL_REGISTER = 13,  /* a=pal id, b=gpa, c=size */
  CORE_EV_PAL_UNREGISTER = 14,/* a=pal id */
  CORE_EV_VMX_INSN = 15,      /* a=instruction (enum core_vmx_insn_kind),
                                 b=outcome (enum core_vmx_outcome), c=VM-
                                 instruction error */
  CORE_EV_EPT01_CHANGE = 16,  /* a=gpa, b=hpa, c=EPT permission bits (0:
                                 unmapped); one 4 KiB page, logged by the
                                 CPU that changes EPT01 */
  CORE_EV_VMCS02_TRANSLATION = 17, /* `fields`/`field_count`: VMCS02's
                                 guest-physical-address fields in use,
                                 just (re)computed through EPT01 */
};

/* One guest-physical-address field of VMCS02 and its translation. */
struct core_gpa_field {
  uint32_t encoding; /* SDM Appendix B */
  uint64_t gpa;      /* value in VMCS12 */
  uint64_t hpa;      /* value in VMCS02 (0: EPT01 does not map gpa) */
};

enum core_flush_flag {
  CORE_FLUSH_EPT02 = 1,
  CORE_FLUSH_VMCS02_GPA = 2,
  CORE_FLUSH_LOCAL_TLB = 4,
};

enum core_flush_origin {
  CORE_ORIGIN_QUIESCE_NMI = 1,
  CORE_ORIGIN_LOCAL = 2,
  CORE_ORIGIN_L1_INVEPT = 3,
};

struct core_event {
  uint32_t kind; /* enum core_event_kind */
  uint64_t a, b, c;
  /* CORE_EV_VMCS02_TRANSLATION only; valid during the callback. */
  const struct core_gpa_field *fields;
  uint32_t field_count;
};

/* Synchronization order for the log (SyncPoint records): lock_acquired /
 * lock_released give KIND_ACQUIRE / KIND_RELEASE with the lock id; the end
 * of a wait_until is KIND_WAIT_DONE with the point id as object. The
 * platform knows all three moments, so the core does not log them itself. */

/* Predicate for wait_until. May be evaluated any number of times, from the
 * waiting CPU only; returns true when the wait is over. */
typedef bool (*core_wait_pred)(void *arg);

struct core_platform {
  /* Passed back to every callback. */
  void *ctx;

  /* Machine-physical memory: a host pointer to [pa, pa+len), or NULL when
   * any byte of it is outside memory. The core never keeps the pointer
   * across a point. */
  void *(*phys)(void *ctx, uint64_t pa, uint64_t len);

  /* Send an NMI from CPU `from` to CPU `to` (a LAPIC NMI IPI). Delivery is
   * asynchronous: the target takes it at one of its later points. */
  void (*send_nmi)(void *ctx, uint32_t from, uint32_t to);

  /* Time stamp counter of `cpu`. Informational only: no decision of the
   * core depends on it. */
  uint64_t (*tsc)(void *ctx, uint32_t cpu);

  /* Stop `cpu` for good (after a failed assertion). Must not return. */
  void (*halt)(void *ctx, uint32_t cpu) __attribute__((noreturn));

  /* A yield point (see the contract above). `id` is enum core_point. */
  void (*point)(void *ctx, uint32_t cpu, uint32_t id);

  /* Spin until pred(arg) is true; counts as one point with id `id`. */
  void (*wait_until)(void *ctx, uint32_t cpu, uint32_t id, core_wait_pred pred,
                     void *arg);

  /* The CPU took / gave back lock `lock` (enum core_lock_id). Optional
   * (NULL = not reported). */
  void (*lock_acquired)(void *ctx, uint32_t cpu, uint32_t lock);
  void (*lock_released)(void *ctx, uint32_t cpu, uint32_t lock);

  /* Something worth logging happened on `cpu`. Optional (NULL). Called from
   * NMI context too: must be NMI-safe. */
  void (*event)(void *ctx, uint32_t cpu, const struct core_event *ev);

  /* An assertion of the core failed on `cpu`: log it (the glue captures
   * registers, return addresses and stack here, while the failing frames
   * are still live). When it returns, the core calls `halt`. */
  void (*assert_failed)(void *ctx, uint32_t cpu, const char *condition,
                        const char *file, uint32_t line);
};

#ifdef __cplusplus
}
#endif

#endif
