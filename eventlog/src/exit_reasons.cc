// Table of VMX basic exit reasons, indexed by number.
#include "nestrr/eventlog/exit_reasons.h"

#include <array>

namespace nestrr::eventlog {
namespace {

constexpr std::array<std::string_view, 78> kNames = {
    "EXCEPTION_NMI", "EXTERNAL_INTERRUPT", "TRIPLE_FAULT", "INIT", "SIPI", "IO_SMI",
    "OTHER_SMI", "INTERRUPT_WINDOW", "NMI_WINDOW", "TASK_SWITCH", "CPUID", "GETSEC", "HLT",
    "INVD", "INVLPG", "RDPMC", "RDTSC", "RSM", "VMCALL", "VMCLEAR", "VMLAUNCH", "VMPTRLD",
    "VMPTRST", "VMREAD", "VMRESUME", "VMWRITE", "VMXOFF", "VMXON", "CR_ACCESS", "DR_ACCESS",
    "IO_INSTRUCTION", "RDMSR", "WRMSR", "ENTRY_FAIL_GUEST_STATE", "ENTRY_FAIL_MSR_LOADING", "",
    "MWAIT", "MONITOR_TRAP_FLAG", "", "MONITOR", "PAUSE", "ENTRY_FAIL_MACHINE_CHECK", "",
    "TPR_BELOW_THRESHOLD", "APIC_ACCESS", "VIRTUALIZED_EOI", "GDTR_IDTR_ACCESS",
    "LDTR_TR_ACCESS", "EPT_VIOLATION", "EPT_MISCONFIG", "INVEPT", "RDTSCP",
    "VMX_PREEMPTION_TIMER", "INVVPID", "WBINVD", "XSETBV", "APIC_WRITE", "RDRAND", "INVPCID",
    "VMFUNC", "ENCLS", "RDSEED", "PML_FULL", "XSAVES", "XRSTORS", "PCONFIG", "SPP_EVENT",
    "UMWAIT", "TPAUSE", "LOADIWKEY", "ENCLV", "", "ENQCMD_PASID_FAIL", "ENQCMDS_PASID_FAIL",
    "BUS_LOCK", "INSTRUCTION_TIMEOUT", "SEAMCALL", "TDCALL",
};

}  // namespace

std::string_view exit_reason_name(uint32_t reason) {
  const uint32_t basic = reason & 0xffffu;
  return basic < kNames.size() ? kNames[basic] : std::string_view();
}

}  // namespace nestrr::eventlog
