/*
 * The VMCS field table (Intel SDM Vol. 3D, Appendix B "Field Encoding in
 * VMCS"), sorted by encoding, with the SDM's names. Guest-physical-address
 * fields name the control that turns them on, so translation can skip
 * fields the processor would ignore.
 */
#include "nestrr/core/vmcs_fields.h"

#define CTL(e, w, n) {e, VMCS_##w, VMCS_CONTROL, 0, 0, VMCS_ENABLE_ALWAYS, n}
#define GPA(e, en, n) {e, VMCS_W64, VMCS_CONTROL, VMCS_PROP_GPA, en, n}
#define RO(e, w, n) {e, VMCS_##w, VMCS_READ_ONLY, 0, 0, VMCS_ENABLE_ALWAYS, n}
#define GST(e, w, n) {e, VMCS_##w, VMCS_GUEST, 0, 0, VMCS_ENABLE_ALWAYS, n}
#define HST(e, w, n) {e, VMCS_##w, VMCS_HOST, 0, 0, VMCS_ENABLE_ALWAYS, n}

/* GPA() takes its enable spec as "bit, field" to fit the struct order. */
#define EN_BIT(f, b) b, f
#define EN_NONZERO(f) VMCS_ENABLE_NONZERO, f
#define EN_ALWAYS 0, VMCS_ENABLE_ALWAYS

#define PROC 0x4002u
#define PROC2 0x401eu
#define PROC3 0x2034u
#define PIN 0x4000u
#define VMFUNC 0x2018u

const struct vmcs_field vmcs_fields[] = {
    /* 16-bit control fields */
    CTL(0x0000, W16, "Virtual-processor identifier (VPID)"),
    CTL(0x0002, W16, "Posted-interrupt notification vector"),
    CTL(0x0004, W16, "EPTP index"),
    CTL(0x0006, W16, "HLAT prefix size"),
    CTL(0x0008, W16, "Last PID-pointer index"),
    /* 16-bit guest-state fields */
    GST(0x0800, W16, "Guest ES selector"),
    GST(0x0802, W16, "Guest CS selector"),
    GST(0x0804, W16, "Guest SS selector"),
    GST(0x0806, W16, "Guest DS selector"),
    GST(0x0808, W16, "Guest FS selector"),
    GST(0x080a, W16, "Guest GS selector"),
    GST(0x080c, W16, "Guest LDTR selector"),
    GST(0x080e, W16, "Guest TR selector"),
    GST(0x0810, W16, "Guest interrupt status"),
    GST(0x0812, W16, "PML index"),
    GST(0x0814, W16, "Guest UINV"),
    /* 16-bit host-state fields */
    HST(0x0c00, W16, "Host ES selector"),
    HST(0x0c02, W16, "Host CS selector"),
    HST(0x0c04, W16, "Host SS selector"),
    HST(0x0c06, W16, "Host DS selector"),
    HST(0x0c08, W16, "Host FS selector"),
    HST(0x0c0a, W16, "Host GS selector"),
    HST(0x0c0c, W16, "Host TR selector"),
    /* 64-bit control fields */
    GPA(0x2000, EN_BIT(PROC, 25), "Address of I/O bitmap A"),
    GPA(0x2002, EN_BIT(PROC, 25), "Address of I/O bitmap B"),
    GPA(0x2004, EN_BIT(PROC, 28), "Address of MSR bitmaps"),
    GPA(0x2006, EN_NONZERO(0x400eu), "VM-exit MSR-store address"),
    GPA(0x2008, EN_NONZERO(0x4010u), "VM-exit MSR-load address"),
    GPA(0x200a, EN_NONZERO(0x4014u), "VM-entry MSR-load address"),
    CTL(0x200c, W64, "Executive-VMCS pointer"),
    GPA(0x200e, EN_BIT(PROC2, 17), "PML address"),
    CTL(0x2010, W64, "TSC offset"),
    GPA(0x2012, EN_BIT(PROC, 21), "Virtual-APIC address"),
    GPA(0x2014, EN_BIT(PROC2, 0), "APIC-access address"),
    GPA(0x2016, EN_BIT(PIN, 7), "Posted-interrupt descriptor address"),
    CTL(0x2018, W64, "VM-function controls"),
    {0x201a, VMCS_W64, VMCS_CONTROL, VMCS_PROP_EPTP, 1, PROC2,
     "EPT pointer (EPTP)"},
    CTL(0x201c, W64, "EOI-exit bitmap 0 (EOI_EXIT0)"),
    CTL(0x201e, W64, "EOI-exit bitmap 1 (EOI_EXIT1)"),
    CTL(0x2020, W64, "EOI-exit bitmap 2 (EOI_EXIT2)"),
    CTL(0x2022, W64, "EOI-exit bitmap 3 (EOI_EXIT3)"),
    GPA(0x2024, EN_BIT(VMFUNC, 0), "EPTP-list address"),
    GPA(0x2026, EN_BIT(PROC2, 14), "VMREAD-bitmap address"),
    GPA(0x2028, EN_BIT(PROC2, 14), "VMWRITE-bitmap address"),
    GPA(0x202a, EN_BIT(PROC2, 18), "Virtualization-exception information address"),
    CTL(0x202c, W64, "XSS-exiting bitmap"),
    CTL(0x202e, W64, "ENCLS-exiting bitmap"),
    GPA(0x2030, EN_BIT(PROC2, 23), "Sub-page-permission-table pointer (SPPTP)"),
    CTL(0x2032, W64, "TSC multiplier"),
    CTL(0x2034, W64, "Tertiary processor-based VM-execution controls"),
    CTL(0x2036, W64, "ENCLV-exiting bitmap"),
    GPA(0x2038, EN_BIT(PROC3, 6), "Low PASID directory address"),
    GPA(0x203a, EN_BIT(PROC3, 6), "High PASID directory address"),
    CTL(0x203c, W64, "Shared EPT pointer"),
    CTL(0x203e, W64, "PCONFIG-exiting bitmap"),
    CTL(0x2040, W64, "Hypervisor-managed linear-address translation pointer (HLATP)"),
    GPA(0x2042, EN_BIT(PROC3, 4), "PID-pointer table address"),
    CTL(0x2044, W64, "Secondary VM-exit controls"),
    CTL(0x204a, W64, "IA32_SPEC_CTRL mask"),
    CTL(0x204c, W64, "IA32_SPEC_CTRL shadow"),
    /* 64-bit read-only data field */
    RO(0x2400, W64, "Guest-physical address"),
    /* 64-bit guest-state fields */
    GST(0x2800, W64, "VMCS link pointer"),
    GST(0x2802, W64, "Guest IA32_DEBUGCTL"),
    GST(0x2804, W64, "Guest IA32_PAT"),
    GST(0x2806, W64, "Guest IA32_EFER"),
    GST(0x2808, W64, "Guest IA32_PERF_GLOBAL_CTRL"),
    GST(0x280a, W64, "Guest PDPTE0"),
    GST(0x280c, W64, "Guest PDPTE1"),
    GST(0x280e, W64, "Guest PDPTE2"),
    GST(0x2810, W64, "Guest PDPTE3"),
    GST(0x2812, W64, "Guest IA32_BNDCFGS"),
    GST(0x2814, W64, "Guest IA32_RTIT_CTL"),
    GST(0x2816, W64, "Guest IA32_LBR_CTL"),
    GST(0x2818, W64, "Guest IA32_PKRS"),
    /* 64-bit host-state fields */
    HST(0x2c00, W64, "Host IA32_PAT"),
    HST(0x2c02, W64, "Host IA32_EFER"),
    HST(0x2c04, W64, "Host IA32_PERF_GLOBAL_CTRL"),
    HST(0x2c06, W64, "Host IA32_PKRS"),
    /* 32-bit control fields */
    CTL(0x4000, W32, "Pin-based VM-execution controls"),
    CTL(0x4002, W32, "Primary processor-based VM-execution controls"),
    CTL(0x4004, W32, "Exception bitmap"),
    CTL(0x4006, W32, "Page-fault error-code mask"),
    CTL(0x4008, W32, "Page-fault error-code match"),
    CTL(0x400a, W32, "CR3-target count"),
    CTL(0x400c, W32, "Primary VM-exit controls"),
    CTL(0x400e, W32, "VM-exit MSR-store count"),
    CTL(0x4010, W32, "VM-exit MSR-load count"),
    CTL(0x4012, W32, "VM-entry controls"),
    CTL(0x4014, W32, "VM-entry MSR-load count"),
    CTL(0x4016, W32, "VM-entry interruption-information field"),
    CTL(0x4018, W32, "VM-entry exception error code"),
    CTL(0x401a, W32, "VM-entry instruction length"),
    CTL(0x401c, W32, "TPR threshold"),
    CTL(0x401e, W32, "Secondary processor-based VM-execution controls"),
    CTL(0x4020, W32, "PLE_Gap"),
    CTL(0x4022, W32, "PLE_Window"),
    CTL(0x4024, W32, "Instruction-timeout control"),
    /* 32-bit read-only data fields */
    RO(0x4400, W32, "VM-instruction error"),
    RO(0x4402, W32, "Exit reason"),
    RO(0x4404, W32, "VM-exit interruption information"),
    RO(0x4406, W32, "VM-exit interruption error code"),
    RO(0x4408, W32, "IDT-vectoring information field"),
    RO(0x440a, W32, "IDT-vectoring error code"),
    RO(0x440c, W32, "VM-exit instruction length"),
    RO(0x440e, W32, "VM-exit instruction information"),
    /* 32-bit guest-state fields */
    GST(0x4800, W32, "Guest ES limit"),
    GST(0x4802, W32, "Guest CS limit"),
    GST(0x4804, W32, "Guest SS limit"),
    GST(0x4806, W32, "Guest DS limit"),
    GST(0x4808, W32, "Guest FS limit"),
    GST(0x480a, W32, "Guest GS limit"),
    GST(0x480c, W32, "Guest LDTR limit"),
    GST(0x480e, W32, "Guest TR limit"),
    GST(0x4810, W32, "Guest GDTR limit"),
    GST(0x4812, W32, "Guest IDTR limit"),
    GST(0x4814, W32, "Guest ES access rights"),
    GST(0x4816, W32, "Guest CS access rights"),
    GST(0x4818, W32, "Guest SS access rights"),
    GST(0x481a, W32, "Guest DS access rights"),
    GST(0x481c, W32, "Guest FS access rights"),
    GST(0x481e, W32, "Guest GS access rights"),
    GST(0x4820, W32, "Guest LDTR access rights"),
    GST(0x4822, W32, "Guest TR access rights"),
    GST(0x4824, W32, "Guest interruptibility state"),
    GST(0x4826, W32, "Guest activity state"),
    GST(0x4828, W32, "Guest SMBASE"),
    GST(0x482a, W32, "Guest IA32_SYSENTER_CS"),
    GST(0x482e, W32, "VMX-preemption timer value"),
    /* 32-bit host-state field */
    HST(0x4c00, W32, "Host IA32_SYSENTER_CS"),
    /* Natural-width control fields */
    CTL(0x6000, WNAT, "CR0 guest/host mask"),
    CTL(0x6002, WNAT, "CR4 guest/host mask"),
    CTL(0x6004, WNAT, "CR0 read shadow"),
    CTL(0x6006, WNAT, "CR4 read shadow"),
    CTL(0x6008, WNAT, "CR3-target value 0"),
    CTL(0x600a, WNAT, "CR3-target value 1"),
    CTL(0x600c, WNAT, "CR3-target value 2"),
    CTL(0x600e, WNAT, "CR3-target value 3"),
    /* Natural-width read-only data fields */
    RO(0x6400, WNAT, "Exit qualification"),
    RO(0x6402, WNAT, "I/O RCX"),
    RO(0x6404, WNAT, "I/O RSI"),
    RO(0x6406, WNAT, "I/O RDI"),
    RO(0x6408, WNAT, "I/O RIP"),
    RO(0x640a, WNAT, "Guest-linear address"),
    /* Natural-width guest-state fields */
    GST(0x6800, WNAT, "Guest CR0"),
    GST(0x6802, WNAT, "Guest CR3"),
    GST(0x6804, WNAT, "Guest CR4"),
    GST(0x6806, WNAT, "Guest ES base"),
    GST(0x6808, WNAT, "Guest CS base"),
    GST(0x680a, WNAT, "Guest SS base"),
    GST(0x680c, WNAT, "Guest DS base"),
    GST(0x680e, WNAT, "Guest FS base"),
    GST(0x6810, WNAT, "Guest GS base"),
    GST(0x6812, WNAT, "Guest LDTR base"),
    GST(0x6814, WNAT, "Guest TR base"),
    GST(0x6816, WNAT, "Guest GDTR base"),
    GST(0x6818, WNAT, "Guest IDTR base"),
    GST(0x681a, WNAT, "Guest DR7"),
    GST(0x681c, WNAT, "Guest RSP"),
    GST(0x681e, WNAT, "Guest RIP"),
    GST(0x6820, WNAT, "Guest RFLAGS"),
    GST(0x6822, WNAT, "Guest pending debug exceptions"),
    GST(0x6824, WNAT, "Guest IA32_SYSENTER_ESP"),
    GST(0x6826, WNAT, "Guest IA32_SYSENTER_EIP"),
    GST(0x6828, WNAT, "Guest IA32_S_CET"),
    GST(0x682a, WNAT, "Guest SSP"),
    GST(0x682c, WNAT, "Guest IA32_INTERRUPT_SSP_TABLE_ADDR"),
    /* Natural-width host-state fields */
    HST(0x6c00, WNAT, "Host CR0"),
    HST(0x6c02, WNAT, "Host CR3"),
    HST(0x6c04, WNAT, "Host CR4"),
    HST(0x6c06, WNAT, "Host FS base"),
    HST(0x6c08, WNAT, "Host GS base"),
    HST(0x6c0a, WNAT, "Host TR base"),
    HST(0x6c0c, WNAT, "Host GDTR base"),
    HST(0x6c0e, WNAT, "Host IDTR base"),
    HST(0x6c10, WNAT, "Host IA32_SYSENTER_ESP"),
    HST(0x6c12, WNAT, "Host IA32_SYSENTER_EIP"),
    HST(0x6c14, WNAT, "Host RSP"),
    HST(0x6c16, WNAT, "Host RIP"),
    HST(0x6c18, WNAT, "Host IA32_S_CET"),
    HST(0x6c1a, WNAT, "Host SSP"),
    HST(0x6c1c, WNAT, "Host IA32_INTERRUPT_SSP_TABLE_ADDR"),
};

const uint32_t vmcs_field_count =
    (uint32_t)(sizeof(vmcs_fields) / sizeof(vmcs_fields[0]));

/*
 * Encoding -> table position, direct-mapped: an encoding is access type
 * (bit 0), index (bits 9:1), type (11:10), a reserved zero (12) and width
 * (14:13), so 13 bits name every field. VMCS12 <-> VMCS02 looks fields up
 * by encoding many times per VM entry; a binary search there cost a few
 * percent of a replay. The map is filled on first use from the sorted
 * table; any CPU may fill it, even from an NMI, as every store writes the
 * same value (relaxed atomics keep that free of data races).
 */
#define VMCS_ENCODING_BITS 0x6ffeu
_Static_assert(sizeof(vmcs_fields) / sizeof(vmcs_fields[0]) < 255,
               "vmcs_slot_of holds position + 1 in a byte");

static uint8_t vmcs_slot_of[1u << 13]; /* position + 1; 0: no such field */
static int vmcs_slots_filled;

static uint32_t vmcs_slot_key(uint32_t full) {
  return ((full >> 1) & 0x1ffu) | (((full >> 10) & 3u) << 9) | (((full >> 13) & 3u) << 11);
}

static void vmcs_fill_slots(void) {
  for (uint32_t i = 0; i < vmcs_field_count; i++)
    __atomic_store_n(&vmcs_slot_of[vmcs_slot_key(vmcs_fields[i].encoding)], (uint8_t)(i + 1),
                     __ATOMIC_RELAXED);
  __atomic_store_n(&vmcs_slots_filled, 1, __ATOMIC_RELEASE);
}

int vmcs_field_index(uint32_t encoding, bool *high) {
  uint32_t full = encoding;
  bool hi = false;
  if ((encoding & 1u) && vmcs_encoding_width(encoding) == VMCS_W64) {
    full = encoding & ~1u;
    hi = true;
  }
  if (full & ~VMCS_ENCODING_BITS) return -1; /* reserved bits, or high half of a non-64-bit field */
  if (!__atomic_load_n(&vmcs_slots_filled, __ATOMIC_ACQUIRE)) vmcs_fill_slots();
  uint32_t slot = __atomic_load_n(&vmcs_slot_of[vmcs_slot_key(full)], __ATOMIC_RELAXED);
  if (slot == 0) return -1;
  if (high) *high = hi;
  return (int)(slot - 1);
}

uint64_t vmcs_width_mask(uint32_t width) {
  switch (width) {
    case VMCS_W16: return 0xffffull;
    case VMCS_W32: return 0xffffffffull;
    default: return ~0ull;
  }
}
