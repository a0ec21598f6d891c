/*
 * Architectural constants of VMX used by the core: VM-instruction error
 * numbers (Intel SDM Vol. 3C, "VM Instruction Error Numbers"), basic exit
 * reasons (Appendix C), execution-control bits and EPT entry bits.
 */
#ifndef NESTRR_CORE_VMX_DEFS_H
#define NESTRR_CORE_VMX_DEFS_H

/* VM-instruction error numbers. */
enum vmx_insn_error {
  VMXERR_NONE = 0,
  VMXERR_VMCALL_IN_ROOT = 1,
  VMXERR_VMCLEAR_INVALID_ADDRESS = 2,
  VMXERR_VMCLEAR_VMXON_POINTER = 3,
  VMXERR_VMLAUNCH_NONCLEAR_VMCS = 4,
  VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5,
  VMXERR_VMRESUME_AFTER_VMXOFF = 6,
  VMXERR_ENTRY_INVALID_CONTROL = 7,
  VMXERR_ENTRY_INVALID_HOST_STATE = 8,
  VMXERR_VMPTRLD_INVALID_ADDRESS = 9,
  VMXERR_VMPTRLD_VMXON_POINTER = 10,
  VMXERR_VMPTRLD_BAD_REVISION = 11,
  VMXERR_UNSUPPORTED_COMPONENT = 12,
  VMXERR_VMWRITE_READ_ONLY = 13,
  VMXERR_VMXON_IN_ROOT = 15,
  VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS = 16,
  VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS = 17,
  VMXERR_ENTRY_EXECUTIVE_VMCS_NOT_VMXON = 18,
  VMXERR_VMCALL_NONCLEAR_VMCS = 19,
  VMXERR_VMCALL_INVALID_EXIT_CONTROL = 20,
  VMXERR_VMCALL_BAD_MSEG_REVISION = 22,
  VMXERR_VMXOFF_DUAL_MONITOR = 23,
  VMXERR_VMCALL_INVALID_SMM_FEATURES = 24,
  VMXERR_ENTRY_INVALID_EXECUTIVE_CONTROLS = 25,
  VMXERR_ENTRY_MOV_SS_BLOCKING = 26,
  VMXERR_INVALID_INVEPT_INVVPID_OPERAND = 28,
};

/* Basic exit reasons used by the workloads. */
enum vmx_exit_reason {
  VMX_EXIT_EXCEPTION_NMI = 0,
  VMX_EXIT_NMI_WINDOW = 8,
  VMX_EXIT_CPUID = 10,
  VMX_EXIT_HLT = 12,
  VMX_EXIT_VMCALL = 18,
  VMX_EXIT_IO = 30,
  VMX_EXIT_RDMSR = 31,
  VMX_EXIT_EPT_VIOLATION = 48,
};

/* Primary processor-based VM-execution controls. */
#define VMX_PROC_USE_TPR_SHADOW (1u << 21)
#define VMX_PROC_NMI_WINDOW_EXITING (1u << 22)
#define VMX_PROC_USE_IO_BITMAPS (1u << 25)
#define VMX_PROC_USE_MSR_BITMAPS (1u << 28)
#define VMX_PROC_ACTIVATE_SECONDARY (1u << 31)
#define VMX_PROC_ACTIVATE_TERTIARY (1u << 17)
/* Secondary processor-based VM-execution controls. */
#define VMX_PROC2_VIRTUALIZE_APIC (1u << 0)
#define VMX_PROC2_ENABLE_EPT (1u << 1)
#define VMX_PROC2_ENABLE_VMFUNC (1u << 13)
#define VMX_PROC2_VMCS_SHADOWING (1u << 14)
#define VMX_PROC2_ENABLE_PML (1u << 17)
#define VMX_PROC2_EPT_VE (1u << 18)
#define VMX_PROC2_SUBPAGE_WRITE (1u << 23)
/* Pin-based VM-execution controls. */
#define VMX_PIN_NMI_EXITING (1u << 3)
#define VMX_PIN_VIRTUAL_NMIS (1u << 5)
#define VMX_PIN_POSTED_INTERRUPTS (1u << 7)
/* VM-entry interruption-information field (SDM "VM-Entry Controls for
 * Event Injection"): vector 7:0, type 10:8, valid bit 31. */
#define VMX_INTR_VALID (1u << 31)
#define VMX_INTR_TYPE_NMI (2u << 8)
#define VMX_INTR_NMI (VMX_INTR_VALID | VMX_INTR_TYPE_NMI | 2u)
/* Tertiary processor-based VM-execution controls. */
#define VMX_PROC3_PASID_TRANSLATION (1ull << 6)
#define VMX_PROC3_IPI_VIRTUALIZATION (1ull << 4)
/* VM-function controls. */
#define VMX_VMFUNC_EPTP_SWITCHING (1ull << 0)

/* EPT paging-structure entries (SDM "EPT Translation Mechanism"). */
#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MEMTYPE_SHIFT 3
#define EPT_MEMTYPE_WB 6ull
#define EPT_LARGE (1ull << 7)
#define EPT_ADDR_MASK 0x000ffffffffff000ull
/* EPT pointer: memory type bits 2:0, page-walk length - 1 in bits 5:3. */
#define EPTP_MEMTYPE_WB 6ull
#define EPTP_WALK_4 (3ull << 3)
#define EPTP_FLAGS_MASK 0xfffull

#endif
