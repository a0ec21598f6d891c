/* Slot payloads: the raw binary form of each event inside a ring slot,
 * written by log.c and read back by record.c. Kinds are the Record field
 * numbers of nestrr/fields.h. Part of NESTRR_LOGGER_ABI_VERSION. */
#ifndef NESTRR_SLOTS_H
#define NESTRR_SLOTS_H

#include "nestrr/logger.h"

struct slot_vm_exit { uint32_t reason, from_l2; uint64_t qualification, guest_rip; };
struct slot_vm_entry { uint32_t to_l2, launch; };
struct slot_nmi_sent { uint32_t target_cpu, pad; uint64_t token; };
struct slot_nmi_received {
  uint32_t source_cpu, pad; /* NESTRR_CPU_UNKNOWN: absent */
  uint64_t token, interrupted_rip, progress;
};
struct slot_generation { uint32_t initiator_cpu, pad; uint64_t generation; };
struct slot_pair32 { uint32_t a, b; }; /* ept flush, rewalk, vmx mode */
struct slot_u64 { uint64_t value; };  /* vmcs12 load/clear, pal unregister */
struct slot_pal_register { uint64_t pal_id, gpa, size; };
struct slot_sync_point { uint32_t object, kind; uint64_t progress, ticket; };
struct slot_vmx_instruction { uint32_t kind, outcome, error, pad; };
struct slot_ept01_change { uint64_t gpa, size, hpa; uint32_t permissions, pad; };
/* Followed by `count` struct nestrr_gpa_field. */
struct slot_vmcs02_translation { uint32_t count, pad; };
struct slot_records_lost { uint32_t cpu, pad; uint64_t count; };
/* Followed by `data_bytes` bytes. */
struct slot_memory {
  uint64_t address;
  uint32_t data_bytes, label_bytes;
  char label[NESTRR_MEMORY_LABEL_MAX];
};
/* Followed by frames (u64 each), then cond, file and stack bytes. */
struct slot_assertion {
  uint32_t line;
  uint16_t cond_bytes, file_bytes;
  uint32_t frame_count, stack_bytes;
  uint64_t stack_address;
  uint64_t regs[NESTRR_REGS_COUNT];
};

#define SLOT_ASSERTION_MAX                                                                  \
  (sizeof(struct nestrr_slot_hdr) + sizeof(struct slot_assertion) +                         \
   8u * NESTRR_ASSERT_FRAMES_MAX + 2u * NESTRR_ASSERT_TEXT_MAX + NESTRR_ASSERT_STACK_MAX + 7u)
NESTRR_STATIC_ASSERT(SLOT_ASSERTION_MAX <= NESTRR_SLOT_MAX, "assertion slot fits");
NESTRR_STATIC_ASSERT(sizeof(struct nestrr_slot_hdr) + sizeof(struct slot_memory) +
                       NESTRR_MEMORY_CHUNK_MAX + 7u <=
                   NESTRR_SLOT_MAX,
               "memory slot fits");
NESTRR_STATIC_ASSERT(sizeof(struct nestrr_slot_hdr) + sizeof(struct slot_vmcs02_translation) +
                         NESTRR_VMCS02_FIELDS_MAX * sizeof(struct nestrr_gpa_field) <=
                     NESTRR_SLOT_MAX,
                 "vmcs02 translation slot fits");
NESTRR_STATIC_ASSERT(sizeof(struct nestrr_gpa_field) == 24u, "gpa field layout");
NESTRR_STATIC_ASSERT(sizeof(struct slot_assertion) == 24u + 8u * NESTRR_REGS_COUNT, "assertion layout");
NESTRR_STATIC_ASSERT(sizeof(struct slot_nmi_received) == 32u, "nmi layout");
NESTRR_STATIC_ASSERT(sizeof(struct slot_memory) == 16u + NESTRR_MEMORY_LABEL_MAX, "memory layout");

#endif /* NESTRR_SLOTS_H */
