/*
 * The guest-hypervisor workload: L1 prepares its VMX regions, bitmaps and
 * EPT12 in its memory, then loops VMXON, VMCLEAR, VMPTRLD, VMWRITEs (bitmap
 * and EPT fields among them), VMLAUNCH, L2 runs and exits, VMREAD of the
 * exit reason, VMRESUME, ... VMCLEAR, VMXOFF. Each step is one simulated
 * instruction or one L2 event; unexpected outcomes are assertions.
 */
#include "core_internal.h"

uint64_t core_wl_l1_region(uint32_t cpu) {
  return 0x100000ull + (uint64_t)cpu * 0x40000ull;
}

enum {
  L1_SETUP, L1_VMXON, L1_VMCLEAR, L1_VMPTRLD, L1_VMWRITE, L1_VMLAUNCH,
  L2_ACCESS, L2_EXIT, L1_HANDLE_EXIT, L1_VMRESUME, L1_VMCLEAR_END, L1_VMXOFF,
};

struct l1_write {
  uint32_t encoding;
  uint64_t value;     /* added to the region base when `relative` */
  bool relative;
};

static const struct l1_write l1_writes[] = {
    {VMCS_PIN_CONTROLS, 0, false},
    {VMCS_PROC_CONTROLS,
     VMX_PROC_USE_IO_BITMAPS | VMX_PROC_USE_MSR_BITMAPS |
         VMX_PROC_ACTIVATE_SECONDARY, false},
    {VMCS_PROC2_CONTROLS, VMX_PROC2_ENABLE_EPT, false},
    {VMCS_IO_BITMAP_A, CORE_WL_IO_A, true},
    {VMCS_IO_BITMAP_B, CORE_WL_IO_B, true},
    {VMCS_MSR_BITMAP, CORE_WL_MSR, true},
    {VMCS_EPT_POINTER, CORE_WL_EPT12 | EPTP_WALK_4 | EPTP_MEMTYPE_WB, true},
    {VMCS_VMCS_LINK_POINTER, ~0ull, false},
    {VMCS_GUEST_RIP, 0x1000, false},
    {VMCS_GUEST_RSP, 0x8000, false},
    {VMCS_HOST_RIP, 0xffff800000100000ull, false},
    {VMCS_VPID, 1, false},
};
#define L1_WRITES (sizeof(l1_writes) / sizeof(l1_writes[0]))

/* EPT12: L2 [0, 16 pages) -> this CPU's L2 memory in L1. */
static void l1_build_ept12(struct core_vcpu *v, uint64_t base) {
  uint64_t pml4 = base + CORE_WL_EPT12, pdpt = pml4 + 0x1000,
           pd = pml4 + 0x2000, pt = pml4 + 0x3000;
  for (uint64_t p = pml4; p <= pt; p += CORE_PAGE_SIZE)
    CORE_ASSERT(v, core_l1_zero_page(v, p));
  CORE_ASSERT(v, core_l1_write64(v, pml4, pdpt | EPT_RWX));
  CORE_ASSERT(v, core_l1_write64(v, pdpt, pd | EPT_RWX));
  CORE_ASSERT(v, core_l1_write64(v, pd, pt | EPT_RWX));
  for (uint64_t i = 0; i < CORE_WL_L2_PAGES; i++)
    CORE_ASSERT(v, core_l1_write64(
                       v, pt + 8 * i,
                       (base + CORE_WL_L2_MEM + i * CORE_PAGE_SIZE) | EPT_RWX |
                           (EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT)));
}

static void l1_setup(struct core_vcpu *v, uint64_t base) {
  CORE_ASSERT(v, core_l1_zero_page(v, base + CORE_WL_VMXON));
  CORE_ASSERT(v, core_l1_write64(v, base + CORE_WL_VMXON, CORE_VMCS_REVISION));
  CORE_ASSERT(v, core_l1_write64(v, base + CORE_WL_VMCS12, CORE_VMCS_REVISION));
  l1_build_ept12(v, base);
}

static void expect(struct core_vcpu *v, enum core_vmx_insn_kind insn,
                   uint64_t op, uint64_t op2, enum core_vmx_outcome want,
                   struct core_vmx_result *res) {
  core_vmx_insn(v, insn, op, op2, res);
  CORE_ASSERT(v, res->outcome == want);
}

bool workload_l1_step(struct core_vcpu *v) {
  struct core_wl_l1 *w = &v->wl_l1;
  const struct core_workload_config *cfg = &v->core->cfg.workload[v->id];
  uint64_t base = core_wl_l1_region(v->id);
  uint32_t exits = cfg->l2_exits ? cfg->l2_exits : 1;
  struct core_vmx_result r;
  if (gnmi_guest_step(v)) return true; /* the guest's NMI handler first */
  if (w->iter >= cfg->iterations) return gnmi_guest_idle(v);
  switch (w->pc) {
    case L1_SETUP:
      l1_setup(v, base);
      w->pc = L1_VMXON;
      break;
    case L1_VMXON:
      expect(v, CORE_VMXON, base + CORE_WL_VMXON, 0, CORE_VMSUCCEED, &r);
      w->pc = L1_VMCLEAR;
      break;
    case L1_VMCLEAR:
      expect(v, CORE_VMCLEAR, base + CORE_WL_VMCS12, 0, CORE_VMSUCCEED, &r);
      w->pc = L1_VMPTRLD;
      break;
    case L1_VMPTRLD:
      expect(v, CORE_VMPTRLD, base + CORE_WL_VMCS12, 0, CORE_VMSUCCEED, &r);
      w->write_idx = 0;
      w->pc = L1_VMWRITE;
      break;
    case L1_VMWRITE: {
      const struct l1_write *wr = &l1_writes[w->write_idx];
      expect(v, CORE_VMWRITE, wr->encoding,
             wr->relative ? base + wr->value : wr->value, CORE_VMSUCCEED, &r);
      if (++w->write_idx == L1_WRITES) w->pc = L1_VMLAUNCH;
      break;
    }
    case L1_VMLAUNCH:
      expect(v, CORE_VMLAUNCH, 0, 0, CORE_VMX_ENTERED_L2, &r);
      w->exits = 0;
      w->pc = L2_ACCESS;
      break;
    case L2_ACCESS: {
      uint64_t hpa;
      uint64_t l2_gpa = (uint64_t)(w->l2_page++ % CORE_WL_L2_PAGES) *
                        CORE_PAGE_SIZE;
      enum core_l2_access a = core_l2_access(v, l2_gpa, &hpa);
      CORE_ASSERT(v, a == CORE_L2_ACCESS_OK);
      w->pc = L2_EXIT;
      break;
    }
    case L2_EXIT:
      core_l2_exit(v, VMX_EXIT_CPUID, 0);
      w->pc = L1_HANDLE_EXIT;
      break;
    case L1_HANDLE_EXIT:
      expect(v, CORE_VMREAD, VMCS_EXIT_REASON, 0, CORE_VMSUCCEED, &r);
      CORE_ASSERT(v, r.value == VMX_EXIT_CPUID);
      w->pc = ++w->exits < exits ? L1_VMRESUME : L1_VMCLEAR_END;
      break;
    case L1_VMRESUME:
      expect(v, CORE_VMRESUME, 0, 0, CORE_VMX_ENTERED_L2, &r);
      w->pc = L2_ACCESS;
      break;
    case L1_VMCLEAR_END:
      expect(v, CORE_VMCLEAR, base + CORE_WL_VMCS12, 0, CORE_VMSUCCEED, &r);
      w->pc = L1_VMXOFF;
      break;
    case L1_VMXOFF:
      expect(v, CORE_VMXOFF, 0, 0, CORE_VMSUCCEED, &r);
      w->pc = L1_VMXON;
      w->iter++;
      break;
  }
  /* With guest NMIs the guest goes on (idling) until every sender is done. */
  return w->iter < cfg->iterations || gnmi_on(v);
}
