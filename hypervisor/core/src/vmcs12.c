/*
 * VMCS12s: the VMCS regions L1 manages in its memory. A CPU caches up to
 * CORE_VMCS12_SLOTS active VMCS12s (loaded by VMPTRLD, written back by
 * VMCLEAR or eviction); one of them may be current. Region layout in L1
 * memory: revision id (4 bytes), abort indicator (4), launch state (4),
 * pad (4), then one 8-byte value per field of vmcs_fields[].
 */
#include "ept.h"
#include "services.h"
#include "vmcs12.h"

#define REGION_LAUNCH 8u
#define REGION_VALUES 16u

uint64_t vmcs_get(const uint64_t *values, uint32_t encoding) {
  bool high = false;
  int i = vmcs_field_index(encoding, &high);
  if (i < 0) return 0;
  return high ? values[i] >> 32 : values[i];
}

void vmcs_set(uint64_t *values, uint32_t encoding, uint64_t value) {
  bool high = false;
  int i = vmcs_field_index(encoding, &high);
  if (i < 0) return;
  if (high)
    values[i] = (values[i] & 0xffffffffull) | (value << 32);
  else
    values[i] = value & vmcs_width_mask(vmcs_fields[i].width);
}

bool cpu_has_current_vmcs12(struct core_vcpu *v) {
  core_point(v, CORE_POINT_CUR_VMCS12_READ);
  return v->cur_vmcs12 != CORE_VMCS12_NONE;
}

uint32_t vmcs12_current_slot(struct core_vcpu *v) {
  core_point(v, CORE_POINT_CUR_VMCS12_READ);
  return v->cur_vmcs12;
}

void vmcs12_set_current(struct core_vcpu *v, uint32_t slot) {
  core_point(v, CORE_POINT_CUR_VMCS12_WRITE);
  v->cur_vmcs12 = slot;
}

struct core_vmcs12 *find_current_vmcs12(struct core_vcpu *vcpu) {
  CORE_ASSERT(vcpu, cpu_has_current_vmcs12(vcpu));
  uint32_t slot = vcpu->cur_vmcs12;
  CORE_ASSERT(vcpu, slot < CORE_VMCS12_SLOTS);
  return &vcpu->vmcs12[slot];
}

struct core_vmcs12 *vmcs12_find(struct core_vcpu *v, uint64_t gpa) {
  for (uint32_t i = 0; i < CORE_VMCS12_SLOTS; i++)
    if (v->vmcs12[i].gpa == gpa && gpa != 0) return &v->vmcs12[i];
  return NULL;
}

static uint8_t *region(struct core_vcpu *v, uint64_t gpa) {
  uint64_t hpa;
  if (!ept01_translate(v, gpa, &hpa, NULL)) return NULL;
  return (uint8_t *)core_plat(v)->phys(core_plat(v)->ctx, hpa, CORE_PAGE_SIZE);
}

static void vmcs12_write_back(struct core_vcpu *v, struct core_vmcs12 *s) {
  uint8_t *r = region(v, s->gpa);
  if (!r) return; /* L1 lost the page (e.g. isolated): nothing to keep */
  *(volatile uint32_t *)(r + REGION_LAUNCH) = s->launched;
  core_copy(r + REGION_VALUES, s->value, vmcs_field_count * sizeof(uint64_t));
}

struct core_vmcs12 *vmcs12_load(struct core_vcpu *v, uint64_t gpa) {
  struct core_vmcs12 *s = vmcs12_find(v, gpa);
  if (s) goto done;
  uint32_t cur = v->cur_vmcs12;
  uint32_t victim = CORE_VMCS12_SLOTS;
  for (uint32_t i = 0; i < CORE_VMCS12_SLOTS; i++) {
    if (v->vmcs12[i].gpa == 0) { victim = i; break; }
    if (i != cur && (victim == CORE_VMCS12_SLOTS ||
                     v->vmcs12[i].lru < v->vmcs12[victim].lru))
      victim = i;
  }
  CORE_ASSERT(v, victim < CORE_VMCS12_SLOTS);
  s = &v->vmcs12[victim];
  if (s->gpa) vmcs12_write_back(v, s);
  uint8_t *r = region(v, gpa);
  CORE_ASSERT(v, r != NULL); /* the handler checked the address */
  s->gpa = gpa;
  s->launched = *(volatile uint32_t *)(r + REGION_LAUNCH);
  core_copy(s->value, r + REGION_VALUES, vmcs_field_count * sizeof(uint64_t));
done:
  s->lru = ++v->vmcs12_lru_clock;
  return s;
}

void vmcs12_clear(struct core_vcpu *v, uint64_t gpa) {
  struct core_vmcs12 *s = vmcs12_find(v, gpa);
  if (s) {
    if (v->cur_vmcs12 == (uint32_t)(s - v->vmcs12))
      vmcs12_set_current(v, CORE_VMCS12_NONE);
    s->launched = 0;
    vmcs12_write_back(v, s);
    s->gpa = 0;
    return;
  }
  /* Not cached: initialize the region (launch state clear, fields 0). */
  uint8_t *r = region(v, gpa);
  if (!r) return;
  *(volatile uint32_t *)(r + REGION_LAUNCH) = 0;
  core_zero(r + REGION_VALUES, vmcs_field_count * sizeof(uint64_t));
}
