/* Core reports -> logger calls: the single place that knows which record
 * each core event becomes (platform.h's event kinds, proto/nestrr.proto's
 * records). */
#include "nestrr/log_forward.h"

static uint32_t vmx_outcome(uint64_t core_outcome) {
  switch (core_outcome) {
    case CORE_VMSUCCEED: return NESTRR_VMX_INSTRUCTION_OUTCOME_SUCCEED;
    case CORE_VMFAIL_INVALID: return NESTRR_VMX_INSTRUCTION_OUTCOME_FAIL_INVALID;
    case CORE_VMFAIL_VALID: return NESTRR_VMX_INSTRUCTION_OUTCOME_FAIL_VALID;
    case CORE_VMX_UD: return NESTRR_VMX_INSTRUCTION_OUTCOME_UD;
    case CORE_VMX_ENTERED_L2: return NESTRR_VMX_INSTRUCTION_OUTCOME_ENTERED_L2;
    default: return NESTRR_VMX_INSTRUCTION_OUTCOME_UNKNOWN;
  }
}

static void forward_translation(struct nestrr_logger *lg, uint32_t cpu,
                                const struct core_event *ev) {
  struct nestrr_gpa_field fields[NESTRR_VMCS02_FIELDS_MAX];
  uint32_t n = ev->field_count < NESTRR_VMCS02_FIELDS_MAX ? ev->field_count
                                                          : NESTRR_VMCS02_FIELDS_MAX;
  for (uint32_t i = 0; i < n; ++i) {
    fields[i].encoding = ev->fields[i].encoding;
    fields[i].reserved = 0;
    fields[i].gpa = ev->fields[i].gpa;
    fields[i].hpa = ev->fields[i].hpa;
  }
  nestrr_log_vmcs02_translation(lg, cpu, fields, n);
}

/* The core's enums share their values with the schema's where both exist
 * (exit reasons, flush flags and origins, VMX modes, instruction kinds);
 * outcomes are shifted by the schema's UNKNOWN = 0. */
void nestrr_forward_event(struct nestrr_logger *lg, uint32_t cpu, const struct core_event *ev,
                          uint64_t interrupted_rip) {
  switch (ev->kind) {
    case CORE_EV_VM_EXIT:
      nestrr_log_vm_exit(lg, cpu, (uint32_t)ev->a, ev->b, 0, ev->c != 0);
      break;
    case CORE_EV_VM_ENTRY: nestrr_log_vm_entry(lg, cpu, ev->a != 0, ev->b != 0); break;
    case CORE_EV_NMI_SENT: nestrr_log_nmi_sent(lg, cpu, (uint32_t)ev->a, ev->b); break;
    case CORE_EV_NMI_RECEIVED:
      nestrr_log_nmi_received(lg, cpu, ev->c == CORE_NO_CPU ? NESTRR_CPU_UNKNOWN : (uint32_t)ev->c,
                              ev->b, interrupted_rip, ev->a);
      break;
    case CORE_EV_QUIESCE_BEGIN: nestrr_log_quiesce_begin(lg, cpu, ev->a); break;
    case CORE_EV_QUIESCE_ACK: nestrr_log_quiesce_ack(lg, cpu, (uint32_t)ev->a, ev->b); break;
    case CORE_EV_QUIESCE_END: nestrr_log_quiesce_end(lg, cpu, ev->a); break;
    case CORE_EV_EPT_FLUSH:
      nestrr_log_ept_flush(lg, cpu, (uint32_t)ev->a, (uint32_t)ev->b);
      break;
    case CORE_EV_EPT01_REWALK:
      nestrr_log_ept01_rewalk(lg, cpu, (uint32_t)ev->a, (uint32_t)ev->b);
      break;
    case CORE_EV_VMX_MODE_CHANGE:
      nestrr_log_vmx_mode(lg, cpu, (uint32_t)ev->a, (uint32_t)ev->b);
      break;
    case CORE_EV_VMCS12_LOAD: nestrr_log_vmcs12_load(lg, cpu, ev->a); break;
    case CORE_EV_VMCS12_CLEAR: nestrr_log_vmcs12_clear(lg, cpu, ev->a); break;
    case CORE_EV_PAL_REGISTER: nestrr_log_pal_register(lg, cpu, ev->a, ev->b, ev->c); break;
    case CORE_EV_PAL_UNREGISTER: nestrr_log_pal_unregister(lg, cpu, ev->a); break;
    case CORE_EV_VMX_INSN:
      nestrr_log_vmx_instruction(lg, cpu, (uint32_t)ev->a, vmx_outcome(ev->b), (uint32_t)ev->c);
      break;
    case CORE_EV_EPT01_CHANGE:
      nestrr_log_ept01_change(lg, cpu, ev->a, CORE_PAGE_SIZE, ev->b, (uint32_t)ev->c);
      break;
    case CORE_EV_VMCS02_TRANSLATION: forward_translation(lg, cpu, ev); break;
    default: break; /* a kind newer than this mapping: not logged */
  }
}

void nestrr_forward_lock_acquired(struct nestrr_logger *lg, uint32_t cpu, uint32_t lock,
                                  uint64_t progress, uint64_t ticket) {
  nestrr_log_lock_acquired(lg, cpu, lock, progress, ticket);
}

void nestrr_forward_wait_done(struct nestrr_logger *lg, uint32_t cpu, uint32_t point,
                              uint64_t progress) {
  nestrr_log_sync_point(lg, cpu, point, progress, NESTRR_SYNC_POINT_KIND_WAIT_DONE);
}

bool nestrr_forward_assertion(struct nestrr_logger *lg, uint32_t cpu, const char *condition,
                              const char *file, uint32_t line,
                              const struct nestrr_captured_stack *c) {
  uint32_t frames = c->frame_count < NESTRR_ASSERT_FRAMES_MAX ? c->frame_count
                                                              : NESTRR_ASSERT_FRAMES_MAX;
  return nestrr_log_assertion(lg, cpu, condition, file, line, &c->regs, c->return_addrs, frames,
                              c->stack_addr, c->stack, c->stack_bytes);
}
