/* Slot -> nestrr.v1.Record: the per-event protobuf encoding at drain time
 * (VM exits go to columns instead, columns.c, unless config.records_only).
 * TSC becomes a signed delta to the previous record of the chunk (chunk.c
 * computes it), guest RIP of a VmExit a delta to the previous VmExit of
 * the chunk. */
#include "internal.h"
#include "slots.h"

struct record_arg {
  const struct nestrr_slot_hdr *slot;
  const struct nestrr_chunk *ch;
};

static const void *payload(const struct nestrr_slot_hdr *s) { return s + 1; }

static const uint32_t reg_tags[NESTRR_REGS_COUNT] = {
    NESTRR_T_REGISTERS_RAX, NESTRR_T_REGISTERS_RBX,    NESTRR_T_REGISTERS_RCX,
    NESTRR_T_REGISTERS_RDX, NESTRR_T_REGISTERS_RSI,    NESTRR_T_REGISTERS_RDI,
    NESTRR_T_REGISTERS_RBP, NESTRR_T_REGISTERS_RSP,    NESTRR_T_REGISTERS_R8,
    NESTRR_T_REGISTERS_R9,  NESTRR_T_REGISTERS_R10,    NESTRR_T_REGISTERS_R11,
    NESTRR_T_REGISTERS_R12, NESTRR_T_REGISTERS_R13,    NESTRR_T_REGISTERS_R14,
    NESTRR_T_REGISTERS_R15, NESTRR_T_REGISTERS_RIP,    NESTRR_T_REGISTERS_RFLAGS,
    NESTRR_T_REGISTERS_CS,  NESTRR_T_REGISTERS_SS,     NESTRR_T_REGISTERS_CR0,
    NESTRR_T_REGISTERS_CR3, NESTRR_T_REGISTERS_CR4,
};
#define REG_RIP 16u

static bool registers_body(struct nestrr_pb_out *o, const void *arg) {
  const uint64_t *regs = (const uint64_t *)arg;
  uint32_t i;
  for (i = 0; i < NESTRR_REGS_COUNT; i++)
    if (!nestrr_pb_uint_nz(o, reg_tags[i], regs[i])) return false;
  return true;
}

static bool assertion_body(struct nestrr_pb_out *o, const struct slot_assertion *a) {
  const uint64_t *frames = (const uint64_t *)(const void *)(a + 1);
  const unsigned char *cond = (const unsigned char *)(frames + a->frame_count);
  const unsigned char *file = cond + a->cond_bytes;
  const unsigned char *stack = file + a->file_bytes;
  uint32_t i, packed = 0;
  for (i = 0; i < a->frame_count; i++) packed += nestrr_pb_varint_size(frames[i]);
  if (!nestrr_pb_string_nz(o, NESTRR_T_ASSERTION_FAILURE_CONDITION, cond, a->cond_bytes) ||
      !nestrr_pb_string_nz(o, NESTRR_T_ASSERTION_FAILURE_FILE, file, a->file_bytes) ||
      !nestrr_pb_uint_nz(o, NESTRR_T_ASSERTION_FAILURE_LINE, a->line) ||
      !nestrr_pb_uint_nz(o, NESTRR_T_ASSERTION_FAILURE_RIP, a->regs[REG_RIP]) ||
      !nestrr_pb_submsg(o, NESTRR_T_ASSERTION_FAILURE_REGISTERS, registers_body, a->regs))
    return false;
  if (a->frame_count) {
    if (!nestrr_pb_tag(o, NESTRR_T_ASSERTION_FAILURE_RETURN_ADDRESS) ||
        !nestrr_pb_varint(o, packed))
      return false;
    for (i = 0; i < a->frame_count; i++)
      if (!nestrr_pb_varint(o, frames[i])) return false;
  }
  return nestrr_pb_uint_nz(o, NESTRR_T_ASSERTION_FAILURE_STACK_ADDRESS, a->stack_address) &&
         nestrr_pb_string_nz(o, NESTRR_T_ASSERTION_FAILURE_STACK, stack, a->stack_bytes);
}

static bool gpa_field_body(struct nestrr_pb_out *o, const void *arg) {
  const struct nestrr_gpa_field *f = (const struct nestrr_gpa_field *)arg;
  return nestrr_pb_uint_nz(o, NESTRR_T_VMCS02_TRANSLATION_GPA_FIELD_ENCODING, f->encoding) &&
         nestrr_pb_uint_nz(o, NESTRR_T_VMCS02_TRANSLATION_GPA_FIELD_GPA, f->gpa) &&
         nestrr_pb_uint_nz(o, NESTRR_T_VMCS02_TRANSLATION_GPA_FIELD_HPA, f->hpa);
}

static bool vmcs02_translation_body(struct nestrr_pb_out *o,
                                    const struct slot_vmcs02_translation *t) {
  const struct nestrr_gpa_field *f = (const struct nestrr_gpa_field *)(const void *)(t + 1);
  uint32_t i;
  if (t->count > NESTRR_VMCS02_FIELDS_MAX) return false;
  for (i = 0; i < t->count; i++)
    if (!nestrr_pb_submsg(o, NESTRR_T_VMCS02_TRANSLATION_FIELD, gpa_field_body, &f[i]))
      return false;
  return true;
}

static bool event_body(struct nestrr_pb_out *o, const void *arg_) {
  const struct record_arg *arg = (const struct record_arg *)arg_;
  const void *p = payload(arg->slot);
  switch (arg->slot->kind) {
    case NESTRR_F_RECORD_VM_EXIT: {
      const struct slot_vm_exit *e = (const struct slot_vm_exit *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_VM_EXIT_REASON, e->reason) &&
             nestrr_pb_sint_nz(o, NESTRR_T_VM_EXIT_GUEST_RIP_DELTA,
                               (int64_t)(e->guest_rip - arg->ch->prev_rip)) &&
             nestrr_pb_uint_nz(o, NESTRR_T_VM_EXIT_QUALIFICATION, e->qualification) &&
             nestrr_pb_uint_nz(o, NESTRR_T_VM_EXIT_FROM_L2, e->from_l2 != 0);
    }
    case NESTRR_F_RECORD_VM_ENTRY: {
      const struct slot_vm_entry *e = (const struct slot_vm_entry *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_VM_ENTRY_TO_L2, e->to_l2 != 0) &&
             nestrr_pb_uint_nz(o, NESTRR_T_VM_ENTRY_LAUNCH, e->launch != 0);
    }
    case NESTRR_F_RECORD_NMI_SENT: {
      const struct slot_nmi_sent *e = (const struct slot_nmi_sent *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_NMI_SENT_TARGET_CPU, e->target_cpu) &&
             nestrr_pb_uint_nz(o, NESTRR_T_NMI_SENT_TOKEN, e->token);
    }
    case NESTRR_F_RECORD_NMI_RECEIVED: {
      const struct slot_nmi_received *e = (const struct slot_nmi_received *)p;
      if (e->source_cpu != NESTRR_CPU_UNKNOWN &&
          !nestrr_pb_uint(o, NESTRR_T_NMI_RECEIVED_SOURCE_CPU, e->source_cpu))
        return false;
      return nestrr_pb_uint_nz(o, NESTRR_T_NMI_RECEIVED_TOKEN, e->token) &&
             nestrr_pb_uint_nz(o, NESTRR_T_NMI_RECEIVED_INTERRUPTED_RIP, e->interrupted_rip) &&
             nestrr_pb_uint_nz(o, NESTRR_T_NMI_RECEIVED_PROGRESS, e->progress);
    }
    case NESTRR_F_RECORD_QUIESCE_BEGIN:
      return nestrr_pb_uint_nz(o, NESTRR_T_QUIESCE_BEGIN_GENERATION,
                               ((const struct slot_generation *)p)->generation);
    case NESTRR_F_RECORD_QUIESCE_ACK: {
      const struct slot_generation *e = (const struct slot_generation *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_QUIESCE_ACK_INITIATOR_CPU, e->initiator_cpu) &&
             nestrr_pb_uint_nz(o, NESTRR_T_QUIESCE_ACK_GENERATION, e->generation);
    }
    case NESTRR_F_RECORD_QUIESCE_END:
      return nestrr_pb_uint_nz(o, NESTRR_T_QUIESCE_END_GENERATION,
                               ((const struct slot_generation *)p)->generation);
    case NESTRR_F_RECORD_EPT_FLUSH: {
      const struct slot_pair32 *e = (const struct slot_pair32 *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_EPT_FLUSH_FLAGS, e->a) &&
             nestrr_pb_uint_nz(o, NESTRR_T_EPT_FLUSH_ORIGIN, e->b);
    }
    case NESTRR_F_RECORD_EPT01_REWALK: {
      const struct slot_pair32 *e = (const struct slot_pair32 *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_EPT01_REWALK_FIELDS, e->a) &&
             nestrr_pb_uint_nz(o, NESTRR_T_EPT01_REWALK_CHANGED, e->b);
    }
    case NESTRR_F_RECORD_VMX_MODE_CHANGE: {
      const struct slot_pair32 *e = (const struct slot_pair32 *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_VMX_MODE_CHANGE_OLD_MODE, e->a) &&
             nestrr_pb_uint_nz(o, NESTRR_T_VMX_MODE_CHANGE_NEW_MODE, e->b);
    }
    case NESTRR_F_RECORD_VMCS12_LOAD:
      return nestrr_pb_uint_nz(o, NESTRR_T_VMCS12_LOAD_VMCS12_GPA,
                               ((const struct slot_u64 *)p)->value);
    case NESTRR_F_RECORD_VMCS12_CLEAR:
      return nestrr_pb_uint_nz(o, NESTRR_T_VMCS12_CLEAR_VMCS12_GPA,
                               ((const struct slot_u64 *)p)->value);
    case NESTRR_F_RECORD_PAL_REGISTER: {
      const struct slot_pal_register *e = (const struct slot_pal_register *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_PAL_REGISTER_PAL_ID, e->pal_id) &&
             nestrr_pb_uint_nz(o, NESTRR_T_PAL_REGISTER_GPA, e->gpa) &&
             nestrr_pb_uint_nz(o, NESTRR_T_PAL_REGISTER_SIZE, e->size);
    }
    case NESTRR_F_RECORD_PAL_UNREGISTER:
      return nestrr_pb_uint_nz(o, NESTRR_T_PAL_UNREGISTER_PAL_ID,
                               ((const struct slot_u64 *)p)->value);
    case NESTRR_F_RECORD_SYNC_POINT: {
      const struct slot_sync_point *e = (const struct slot_sync_point *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_SYNC_POINT_OBJECT, e->object) &&
             nestrr_pb_uint_nz(o, NESTRR_T_SYNC_POINT_PROGRESS, e->progress) &&
             nestrr_pb_uint_nz(o, NESTRR_T_SYNC_POINT_KIND, e->kind) &&
             nestrr_pb_uint_nz(o, NESTRR_T_SYNC_POINT_TICKET, e->ticket);
    }
    case NESTRR_F_RECORD_VMX_INSTRUCTION: {
      const struct slot_vmx_instruction *e = (const struct slot_vmx_instruction *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_VMX_INSTRUCTION_KIND, e->kind) &&
             nestrr_pb_uint_nz(o, NESTRR_T_VMX_INSTRUCTION_OUTCOME, e->outcome) &&
             nestrr_pb_uint_nz(o, NESTRR_T_VMX_INSTRUCTION_ERROR, e->error);
    }
    case NESTRR_F_RECORD_EPT01_CHANGE: {
      const struct slot_ept01_change *e = (const struct slot_ept01_change *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_EPT01_CHANGE_GPA, e->gpa) &&
             nestrr_pb_uint_nz(o, NESTRR_T_EPT01_CHANGE_SIZE, e->size) &&
             nestrr_pb_uint_nz(o, NESTRR_T_EPT01_CHANGE_HPA, e->hpa) &&
             nestrr_pb_uint_nz(o, NESTRR_T_EPT01_CHANGE_PERMISSIONS, e->permissions);
    }
    case NESTRR_F_RECORD_VMCS02_TRANSLATION:
      return vmcs02_translation_body(o, (const struct slot_vmcs02_translation *)p);
    case NESTRR_F_RECORD_RECORDS_LOST: {
      const struct slot_records_lost *e = (const struct slot_records_lost *)p;
      return nestrr_pb_uint_nz(o, NESTRR_T_RECORDS_LOST_CPU, e->cpu) &&
             nestrr_pb_uint_nz(o, NESTRR_T_RECORDS_LOST_COUNT, e->count);
    }
    case NESTRR_F_RECORD_MEMORY_SNAPSHOT: {
      const struct slot_memory *e = (const struct slot_memory *)p;
      if (e->data_bytes > NESTRR_MEMORY_CHUNK_MAX || e->label_bytes > NESTRR_MEMORY_LABEL_MAX)
        return false;
      return nestrr_pb_uint_nz(o, NESTRR_T_MEMORY_SNAPSHOT_ADDRESS, e->address) &&
             nestrr_pb_string_nz(o, NESTRR_T_MEMORY_SNAPSHOT_DATA, e + 1, e->data_bytes) &&
             nestrr_pb_string_nz(o, NESTRR_T_MEMORY_SNAPSHOT_LABEL, e->label, e->label_bytes);
    }
    case NESTRR_F_RECORD_ASSERTION_FAILURE: {
      const struct slot_assertion *e = (const struct slot_assertion *)p;
      if (e->frame_count > NESTRR_ASSERT_FRAMES_MAX || e->cond_bytes > NESTRR_ASSERT_TEXT_MAX ||
          e->file_bytes > NESTRR_ASSERT_TEXT_MAX || e->stack_bytes > NESTRR_ASSERT_STACK_MAX)
        return false;
      return assertion_body(o, e);
    }
    default:
      return false; /* unknown kind: never encode garbage */
  }
}

static bool record_body(struct nestrr_pb_out *o, const void *arg_) {
  const struct record_arg *arg = (const struct record_arg *)arg_;
  uint32_t tag = ((uint32_t)arg->slot->kind << 3) | NESTRR_WT_LEN;
  return nestrr_pb_sint_nz(o, NESTRR_T_RECORD_DT, arg->ch->dt) &&
         nestrr_pb_submsg(o, tag, event_body, arg);
}

bool nestrr_encode_record(struct nestrr_pb_out *o, const struct nestrr_slot_hdr *slot,
                          const struct nestrr_chunk *ch) {
  struct record_arg arg;
  arg.slot = slot;
  arg.ch = ch;
  return nestrr_pb_submsg(o, NESTRR_T_PACKET_RECORD, record_body, &arg);
}
