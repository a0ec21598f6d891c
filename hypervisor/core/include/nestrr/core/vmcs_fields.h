/*
 * The VMCS field table: every field of Intel SDM Vol. 3D Appendix B with
 * its encoding, official name, width, kind and properties. Translation
 * between VMCS12 and VMCS02 is driven by this table.
 *
 * Encoding layout (SDM "Component Encoding"): bit 0 access type (1 = high
 * 32 bits of a 64-bit field), bits 9:1 index, bits 11:10 type (control,
 * read-only data, guest state, host state), bits 14:13 width.
 */
#ifndef NESTRR_CORE_VMCS_FIELDS_H
#define NESTRR_CORE_VMCS_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vmcs_width { /* equals bits 14:13 of the encoding */
  VMCS_W16 = 0,
  VMCS_W64 = 1,
  VMCS_W32 = 2,
  VMCS_WNAT = 3,
};

enum vmcs_kind { /* equals bits 11:10 of the encoding */
  VMCS_CONTROL = 0,
  VMCS_READ_ONLY = 1,
  VMCS_GUEST = 2,
  VMCS_HOST = 3,
};

/* Property bits. */
/* Upper bound of fields with VMCS_PROP_GPA in the table (tested). */
#define VMCS_GPA_FIELDS_MAX 24u
#define VMCS_PROP_GPA 0x1u  /* holds a guest-physical address: translate
                               through EPT01 into VMCS02 */
#define VMCS_PROP_EPTP 0x2u /* the EPT pointer: VMCS02 gets EPT02 */
#define VMCS_PROP_WRITABLE_RO 0x4u /* (unused: no VMWRITE to read-only) */

/* "Always in use" for vmcs_field.enable_field. */
#define VMCS_ENABLE_ALWAYS 0xffffffffu
/* vmcs_field.enable_bit value meaning "enabled when enable_field != 0". */
#define VMCS_ENABLE_NONZERO 0xffu

struct vmcs_field {
  uint32_t encoding;      /* full encoding (access type 0) */
  uint8_t width;          /* enum vmcs_width */
  uint8_t kind;           /* enum vmcs_kind */
  uint8_t props;          /* VMCS_PROP_* */
  uint8_t enable_bit;     /* for GPA fields: bit of enable_field that turns
                             the field on, or VMCS_ENABLE_NONZERO */
  uint32_t enable_field;  /* encoding of the controlling field, or
                             VMCS_ENABLE_ALWAYS */
  const char *name;       /* official SDM name */
};

/* The table, sorted by encoding. */
extern const struct vmcs_field vmcs_fields[];
extern const uint32_t vmcs_field_count;

/* Index of the field with this encoding in vmcs_fields, or -1. An odd
 * encoding of a 64-bit field (high access) maps to that field's index and
 * sets *high. `high` may be NULL. */
int vmcs_field_index(uint32_t encoding, bool *high);

/* Width bits of an encoding. */
static inline uint32_t vmcs_encoding_width(uint32_t encoding) {
  return (encoding >> 13) & 3u;
}
static inline uint32_t vmcs_encoding_kind(uint32_t encoding) {
  return (encoding >> 10) & 3u;
}

/* Mask of the value bits a field of this width holds (natural = 64). */
uint64_t vmcs_width_mask(uint32_t width);

/* Frequently used encodings. */
enum vmcs_encoding {
  VMCS_VPID = 0x0000,
  VMCS_IO_BITMAP_A = 0x2000,
  VMCS_IO_BITMAP_B = 0x2002,
  VMCS_MSR_BITMAP = 0x2004,
  VMCS_EXIT_MSR_STORE_ADDR = 0x2006,
  VMCS_EXIT_MSR_LOAD_ADDR = 0x2008,
  VMCS_ENTRY_MSR_LOAD_ADDR = 0x200a,
  VMCS_VIRTUAL_APIC_ADDR = 0x2012,
  VMCS_APIC_ACCESS_ADDR = 0x2014,
  VMCS_POSTED_INTR_DESC_ADDR = 0x2016,
  VMCS_VMFUNC_CONTROLS = 0x2018,
  VMCS_EPT_POINTER = 0x201a,
  VMCS_VMREAD_BITMAP = 0x2026,
  VMCS_VMWRITE_BITMAP = 0x2028,
  VMCS_TERTIARY_PROC_CONTROLS = 0x2034,
  VMCS_GUEST_PHYSICAL_ADDRESS = 0x2400,
  VMCS_VMCS_LINK_POINTER = 0x2800,
  VMCS_PIN_CONTROLS = 0x4000,
  VMCS_PROC_CONTROLS = 0x4002,
  VMCS_EXIT_MSR_STORE_COUNT = 0x400e,
  VMCS_EXIT_MSR_LOAD_COUNT = 0x4010,
  VMCS_ENTRY_CONTROLS = 0x4012,
  VMCS_ENTRY_MSR_LOAD_COUNT = 0x4014,
  VMCS_PROC2_CONTROLS = 0x401e,
  VMCS_VM_INSTRUCTION_ERROR = 0x4400,
  VMCS_EXIT_REASON = 0x4402,
  VMCS_EXIT_QUALIFICATION = 0x6400,
  VMCS_GUEST_CR3 = 0x6802,
  VMCS_GUEST_RSP = 0x681c,
  VMCS_GUEST_RIP = 0x681e,
  VMCS_HOST_CR3 = 0x6c02,
  VMCS_HOST_RSP = 0x6c14,
  VMCS_HOST_RIP = 0x6c16,
};

#ifdef __cplusplus
}
#endif

#endif
