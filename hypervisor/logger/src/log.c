/* The event entry points: reserve a slot, stamp the TSC, fill the payload,
 * commit. One small function per event of the schema. */
#include "ring_fast.h"
#include "slots.h"

static inline uint64_t now(const struct nestrr_logger *lg) {
  return lg->config.clock ? lg->config.clock(lg->config.clock_ctx) : nestrr_rdtsc();
}

/* Reserves a slot on `cpu` and stamps it; 0 if dropped. The TSC is read
 * after the reservation, so a nested record can carry an earlier TSC than
 * its predecessor: Record.dt is signed for that. A full flight ring frees
 * its oldest slots in a batch (ring_fast.h), except for `exact`. */
static inline __attribute__((always_inline)) struct nestrr_slot_hdr *begin_slot(
    struct nestrr_logger *lg, uint32_t cpu, uint32_t payload, uint16_t kind, bool exact) {
  struct nestrr_slot_hdr *s;
  if (cpu >= lg->cpu_count) return 0;
  s = nestrr_ring_reserve_inline(&lg->cpus[cpu].ring, payload, kind, !exact);
  if (s) s->tsc = now(lg);
  return s;
}

static inline __attribute__((always_inline)) struct nestrr_slot_hdr *begin(
    struct nestrr_logger *lg, uint32_t cpu, uint32_t payload, uint16_t kind) {
  return begin_slot(lg, cpu, payload, kind, false);
}

static inline bool end(struct nestrr_logger *lg, uint32_t cpu, struct nestrr_slot_hdr *s) {
  (void)lg;
  (void)cpu;
  /* `commit` holds the slot's position until now. */
  __atomic_store_n(&s->commit, ~s->commit, __ATOMIC_RELEASE);
  return true;
}

#define BEGIN(type, kind)                                          \
  struct nestrr_slot_hdr *s = begin(lg, cpu, sizeof(type), (kind)); \
  type *p;                                                         \
  if (!s) return false;                                            \
  p = (type *)nestrr_slot_payload(s)

bool nestrr_log_vm_exit(struct nestrr_logger *lg, uint32_t cpu, uint32_t reason,
                        uint64_t qualification, uint64_t guest_rip, bool from_l2) {
  BEGIN(struct slot_vm_exit, NESTRR_F_RECORD_VM_EXIT);
  p->reason = reason;
  p->from_l2 = from_l2;
  p->qualification = qualification;
  p->guest_rip = guest_rip;
  return end(lg, cpu, s);
}

bool nestrr_log_vm_entry(struct nestrr_logger *lg, uint32_t cpu, bool to_l2, bool launch) {
  BEGIN(struct slot_vm_entry, NESTRR_F_RECORD_VM_ENTRY);
  p->to_l2 = to_l2;
  p->launch = launch;
  return end(lg, cpu, s);
}

bool nestrr_log_nmi_sent(struct nestrr_logger *lg, uint32_t cpu, uint32_t target_cpu,
                         uint64_t token) {
  BEGIN(struct slot_nmi_sent, NESTRR_F_RECORD_NMI_SENT);
  p->target_cpu = target_cpu;
  p->pad = 0;
  p->token = token;
  return end(lg, cpu, s);
}

bool nestrr_log_nmi_received(struct nestrr_logger *lg, uint32_t cpu, uint32_t source_cpu,
                             uint64_t token, uint64_t interrupted_rip, uint64_t progress) {
  BEGIN(struct slot_nmi_received, NESTRR_F_RECORD_NMI_RECEIVED);
  p->source_cpu = source_cpu;
  p->pad = 0;
  p->token = token;
  p->interrupted_rip = interrupted_rip;
  p->progress = progress;
  return end(lg, cpu, s);
}

static bool log_generation(struct nestrr_logger *lg, uint32_t cpu, uint16_t kind,
                           uint32_t initiator, uint64_t generation) {
  BEGIN(struct slot_generation, kind);
  p->initiator_cpu = initiator;
  p->pad = 0;
  p->generation = generation;
  return end(lg, cpu, s);
}

bool nestrr_log_quiesce_begin(struct nestrr_logger *lg, uint32_t cpu, uint64_t generation) {
  return log_generation(lg, cpu, NESTRR_F_RECORD_QUIESCE_BEGIN, 0, generation);
}

bool nestrr_log_quiesce_ack(struct nestrr_logger *lg, uint32_t cpu, uint32_t initiator_cpu,
                            uint64_t generation) {
  return log_generation(lg, cpu, NESTRR_F_RECORD_QUIESCE_ACK, initiator_cpu, generation);
}

bool nestrr_log_quiesce_end(struct nestrr_logger *lg, uint32_t cpu, uint64_t generation) {
  return log_generation(lg, cpu, NESTRR_F_RECORD_QUIESCE_END, 0, generation);
}

static bool log_pair32(struct nestrr_logger *lg, uint32_t cpu, uint16_t kind, uint32_t a,
                       uint32_t b) {
  BEGIN(struct slot_pair32, kind);
  p->a = a;
  p->b = b;
  return end(lg, cpu, s);
}

bool nestrr_log_ept_flush(struct nestrr_logger *lg, uint32_t cpu, uint32_t flags,
                          uint32_t origin) {
  return log_pair32(lg, cpu, NESTRR_F_RECORD_EPT_FLUSH, flags, origin);
}

bool nestrr_log_ept01_rewalk(struct nestrr_logger *lg, uint32_t cpu, uint32_t fields,
                             uint32_t changed) {
  return log_pair32(lg, cpu, NESTRR_F_RECORD_EPT01_REWALK, fields, changed);
}

bool nestrr_log_vmx_mode(struct nestrr_logger *lg, uint32_t cpu, uint32_t old_mode,
                         uint32_t new_mode) {
  return log_pair32(lg, cpu, NESTRR_F_RECORD_VMX_MODE_CHANGE, old_mode, new_mode);
}

static bool log_u64(struct nestrr_logger *lg, uint32_t cpu, uint16_t kind, uint64_t v) {
  BEGIN(struct slot_u64, kind);
  p->value = v;
  return end(lg, cpu, s);
}

bool nestrr_log_vmcs12_load(struct nestrr_logger *lg, uint32_t cpu, uint64_t vmcs12_gpa) {
  return log_u64(lg, cpu, NESTRR_F_RECORD_VMCS12_LOAD, vmcs12_gpa);
}

bool nestrr_log_vmcs12_clear(struct nestrr_logger *lg, uint32_t cpu, uint64_t vmcs12_gpa) {
  return log_u64(lg, cpu, NESTRR_F_RECORD_VMCS12_CLEAR, vmcs12_gpa);
}

bool nestrr_log_pal_unregister(struct nestrr_logger *lg, uint32_t cpu, uint64_t pal_id) {
  return log_u64(lg, cpu, NESTRR_F_RECORD_PAL_UNREGISTER, pal_id);
}

bool nestrr_log_pal_register(struct nestrr_logger *lg, uint32_t cpu, uint64_t pal_id,
                             uint64_t gpa, uint64_t size) {
  BEGIN(struct slot_pal_register, NESTRR_F_RECORD_PAL_REGISTER);
  p->pal_id = pal_id;
  p->gpa = gpa;
  p->size = size;
  return end(lg, cpu, s);
}

bool nestrr_log_sync_point(struct nestrr_logger *lg, uint32_t cpu, uint32_t object,
                           uint64_t progress, uint32_t kind) {
  BEGIN(struct slot_sync_point, NESTRR_F_RECORD_SYNC_POINT);
  p->object = object;
  p->kind = kind;
  p->progress = progress;
  p->ticket = 0;
  return end(lg, cpu, s);
}

bool nestrr_log_lock_acquired(struct nestrr_logger *lg, uint32_t cpu, uint32_t lock,
                              uint64_t progress, uint64_t ticket) {
  BEGIN(struct slot_sync_point, NESTRR_F_RECORD_SYNC_POINT);
  p->object = lock;
  p->kind = NESTRR_SYNC_POINT_KIND_ACQUIRE;
  p->progress = progress;
  p->ticket = ticket;
  return end(lg, cpu, s);
}

bool nestrr_log_vmx_instruction(struct nestrr_logger *lg, uint32_t cpu, uint32_t kind,
                                uint32_t outcome, uint32_t error) {
  BEGIN(struct slot_vmx_instruction, NESTRR_F_RECORD_VMX_INSTRUCTION);
  p->kind = kind;
  p->outcome = outcome;
  p->error = error;
  p->pad = 0;
  return end(lg, cpu, s);
}

bool nestrr_log_ept01_change(struct nestrr_logger *lg, uint32_t cpu, uint64_t gpa, uint64_t size,
                             uint64_t hpa, uint32_t permissions) {
  BEGIN(struct slot_ept01_change, NESTRR_F_RECORD_EPT01_CHANGE);
  p->gpa = gpa;
  p->size = size;
  p->hpa = hpa;
  p->permissions = permissions;
  p->pad = 0;
  return end(lg, cpu, s);
}

bool nestrr_log_vmcs02_translation(struct nestrr_logger *lg, uint32_t cpu,
                                   const struct nestrr_gpa_field *fields, uint32_t count) {
  uint32_t n = count > NESTRR_VMCS02_FIELDS_MAX ? NESTRR_VMCS02_FIELDS_MAX : count;
  uint32_t i;
  struct nestrr_gpa_field *out;
  struct nestrr_slot_hdr *s;
  struct slot_vmcs02_translation *p;
  if (!fields) n = 0;
  s = begin(lg, cpu, sizeof(*p) + n * (uint32_t)sizeof(*out), NESTRR_F_RECORD_VMCS02_TRANSLATION);
  if (!s) return false;
  p = (struct slot_vmcs02_translation *)nestrr_slot_payload(s);
  p->count = n;
  p->pad = 0;
  out = (struct nestrr_gpa_field *)(void *)(p + 1);
  for (i = 0; i < n; i++) { /* field by field: no struct copies */
    out[i].encoding = fields[i].encoding;
    out[i].reserved = 0;
    out[i].gpa = fields[i].gpa;
    out[i].hpa = fields[i].hpa;
  }
  end(lg, cpu, s);
  return n == count;
}

/* Appended by the consumer (drain, dump), possibly from another CPU. If the
 * ring refuses it, that is no lost record (the count is reported later), so
 * the drop the reservation counted is taken back. It frees only the room it
 * needs: what it pushes out is what the next dump reports. */
bool nestrr_log_records_lost(struct nestrr_logger *lg, uint32_t cpu, uint64_t count) {
  struct nestrr_slot_hdr *s = begin_slot(lg, cpu, sizeof(struct slot_records_lost),
                                         NESTRR_F_RECORD_RECORDS_LOST, true);
  struct slot_records_lost *p;
  if (!s) {
    __atomic_fetch_sub(&lg->cpus[cpu].ring.dropped, 1u, __ATOMIC_RELAXED);
    return false;
  }
  p = (struct slot_records_lost *)nestrr_slot_payload(s);
  p->cpu = cpu;
  p->pad = 0;
  p->count = count;
  return end(lg, cpu, s);
}

static void copy_bytes(unsigned char *dst, const unsigned char *src, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) dst[i] = src[i];
}

/* The raw stack window of an assertion spans other functions' frames,
 * including what AddressSanitizer poisons as their redzones in host test
 * builds: reading it is the point, so the copy is not instrumented. */
__attribute__((noinline, no_sanitize_address)) static void copy_raw_stack(unsigned char *dst,
                                                                         const unsigned char *src,
                                                                         uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) dst[i] = src[i];
}

bool nestrr_log_memory(struct nestrr_logger *lg, uint32_t cpu, uint64_t addr, const void *bytes,
                       uint32_t len, const char *label) {
  const unsigned char *src = (const unsigned char *)bytes;
  uint32_t label_bytes = 0;
  bool all = true;
  while (label && label_bytes < NESTRR_MEMORY_LABEL_MAX && label[label_bytes]) label_bytes++;
  do {
    uint32_t n = len < NESTRR_MEMORY_CHUNK_MAX ? len : NESTRR_MEMORY_CHUNK_MAX;
    struct nestrr_slot_hdr *s =
        begin(lg, cpu, sizeof(struct slot_memory) + n, NESTRR_F_RECORD_MEMORY_SNAPSHOT);
    if (s) {
      struct slot_memory *p = (struct slot_memory *)nestrr_slot_payload(s);
      p->address = addr;
      p->data_bytes = n;
      p->label_bytes = label_bytes;
      copy_bytes((unsigned char *)p->label, (const unsigned char *)label, label_bytes);
      copy_bytes((unsigned char *)(p + 1), src, n);
      end(lg, cpu, s);
    } else {
      all = false;
    }
    addr += n;
    src += n;
    len -= n;
  } while (len > 0);
  return all;
}

static uint32_t text_bytes(const char *s) {
  uint32_t n = 0;
  while (s && n < NESTRR_ASSERT_TEXT_MAX && s[n]) n++;
  return n;
}

bool nestrr_log_assertion(struct nestrr_logger *lg, uint32_t cpu, const char *cond,
                          const char *file, uint32_t line, const struct nestrr_regs *regs,
                          const uint64_t *return_addrs, uint32_t frame_count,
                          uint64_t stack_addr, const void *stack, uint32_t stack_bytes) {
  uint32_t cond_bytes = text_bytes(cond), file_bytes = text_bytes(file);
  uint32_t i;
  unsigned char *tail;
  if (frame_count > NESTRR_ASSERT_FRAMES_MAX) frame_count = NESTRR_ASSERT_FRAMES_MAX;
  if (!return_addrs) frame_count = 0;
  if (stack_bytes > NESTRR_ASSERT_STACK_MAX) stack_bytes = NESTRR_ASSERT_STACK_MAX;
  if (!stack) stack_bytes = 0;
  {
    uint32_t payload = (uint32_t)sizeof(struct slot_assertion) + 8u * frame_count + cond_bytes +
                       file_bytes + stack_bytes;
    struct nestrr_slot_hdr *s = begin(lg, cpu, payload, NESTRR_F_RECORD_ASSERTION_FAILURE);
    struct slot_assertion *p;
    uint64_t *frames;
    const uint64_t *r = (const uint64_t *)(const void *)regs;
    if (!s) return false;
    p = (struct slot_assertion *)nestrr_slot_payload(s);
    p->line = line;
    p->cond_bytes = (uint16_t)cond_bytes;
    p->file_bytes = (uint16_t)file_bytes;
    p->frame_count = frame_count;
    p->stack_bytes = stack_bytes;
    p->stack_address = stack_addr;
    for (i = 0; i < NESTRR_REGS_COUNT; i++) p->regs[i] = regs ? r[i] : 0;
    frames = (uint64_t *)(void *)(p + 1);
    for (i = 0; i < frame_count; i++) frames[i] = return_addrs[i];
    tail = (unsigned char *)(frames + frame_count);
    copy_bytes(tail, (const unsigned char *)cond, cond_bytes);
    copy_bytes(tail + cond_bytes, (const unsigned char *)file, file_bytes);
    copy_raw_stack(tail + cond_bytes + file_bytes, (const unsigned char *)stack, stack_bytes);
    return end(lg, cpu, s);
  }
}
