// The yield point table (ids from nestrr/core/platform.h).
#include "nestrr/replay/point_names.h"

extern "C" {
#include "nestrr/core/platform.h"
}

namespace nestrr::replay {
namespace {

struct PointInfo {
  uint32_t id;
  const char* name;
  const char* access;
  uint32_t lock;
};

constexpr PointInfo kPoints[] = {
    {CORE_POINT_MODE_READ, "mode_read", "read vmx_mode", 0},
    {CORE_POINT_MODE_READ_OPERATION, "mode_read_operation", "read is_vmx_operation", 0},
    {CORE_POINT_MODE_READ_ROOT, "mode_read_root", "read is_vmx_root_operation", 0},
    {CORE_POINT_MODE_WRITE, "mode_write", "write the VMX mode", 0},
    {CORE_POINT_VMXON_SET_OPERATION, "vmxon_set_operation", "is_vmx_operation = 1", 0},
    {CORE_POINT_VMXON_SET_ROOT, "vmxon_set_root", "is_vmx_root_operation = 1", 0},
    {CORE_POINT_VMXON_CLEAR_CURRENT, "vmxon_clear_current", "current VMCS12 = none", 0},
    {CORE_POINT_VMXON_SET_MODE, "vmxon_set_mode", "vmx_mode = root", 0},
    {CORE_POINT_CUR_VMCS12_READ, "cur_vmcs12_read", "read current VMCS12", 0},
    {CORE_POINT_CUR_VMCS12_WRITE, "cur_vmcs12_write", "write current VMCS12", 0},
    {CORE_POINT_EPT01_WALK, "ept01_walk", "walk EPT01", 0},
    {CORE_POINT_EPT01_WRITE, "ept01_write", "write EPT01", 0},
    {CORE_POINT_EPT02_BLOCK, "ept02_block", "block EPT02 flushes", 0},
    {CORE_POINT_EPT02_UNBLOCK, "ept02_unblock", "unblock EPT02 flushes", 0},
    {CORE_POINT_EPT02_FLUSH, "ept02_flush", "drop EPT02", 0},
    {CORE_POINT_EPT02_FILL, "ept02_fill", "fill EPT02", 0},
    {CORE_POINT_VMCS02_REWALK, "vmcs02_rewalk", "re-walk VMCS02 gpa fields", 0},
    {CORE_POINT_QUIESCE_LOCK, "quiesce_lock", "take the quiesce lock", CORE_LOCK_QUIESCE},
    {CORE_POINT_QUIESCE_REQUEST, "quiesce_request", "post the quiesce request", 0},
    {CORE_POINT_QUIESCE_WAIT_ACKS, "quiesce_wait_acks", "wait for all acks", 0},
    {CORE_POINT_QUIESCE_RELEASE, "quiesce_release", "release the others", 0},
    {CORE_POINT_QUIESCE_WAIT_RESUMED, "quiesce_wait_resumed", "wait until all flushed", 0},
    {CORE_POINT_QUIESCE_UNLOCK, "quiesce_unlock", "give back the quiesce lock", 0},
    {CORE_POINT_NMI_CHECK, "nmi_check", "read the quiesce request", 0},
    {CORE_POINT_NMI_ACK, "nmi_ack", "acknowledge the quiesce", 0},
    {CORE_POINT_NMI_WAIT_RELEASE, "nmi_wait_release", "wait for the release", 0},
    {CORE_POINT_NMI_RESUMED, "nmi_resumed", "report flushed", 0},
    {CORE_POINT_PAL_LOCK, "pal_lock", "take the PAL lock", CORE_LOCK_PAL},
    {CORE_POINT_PAL_UNLOCK, "pal_unlock", "give back the PAL lock", 0},
    {CORE_POINT_IDLE, "idle", "idle, workload done", 0},
    {CORE_POINT_GNMI_SEND, "gnmi_send", "send an NMI to a guest", 0},
    {CORE_POINT_GNMI_WAIT_ACK, "gnmi_wait_ack", "wait for the guest's acknowledgment", 0},
    {CORE_POINT_GNMI_SENDER_DONE, "gnmi_sender_done", "leave the count of NMI senders", 0},
    {CORE_POINT_GNMI_VIRTUALIZE, "gnmi_virtualize", "inject or owe a guest NMI (VMCS01)", 0},
    {CORE_POINT_GNMI_BLOCK, "gnmi_block", "simulate NMI blocking", 0},
    {CORE_POINT_GNMI_UNBLOCK, "gnmi_unblock", "end simulated NMI blocking", 0},
    {CORE_POINT_VMCS01_READ, "vmcs01_read", "copy VMCS01's event fields", 0},
    {CORE_POINT_VMCS01_WRITE, "vmcs01_write", "write the copy back to VMCS01", 0},
    {CORE_POINT_VM_ENTRY_L1, "vm_entry_l1", "resume L1, deliver an injected NMI", 0},
    {CORE_POINT_GUEST_NMI_ACK, "guest_nmi_ack", "the guest acknowledges an NMI", 0},
    {CORE_POINT_GUEST_IRET, "guest_iret", "the guest's NMI handler returns", 0},
    {CORE_POINT_GUEST_IDLE, "guest_idle", "the guest idles for NMIs", 0},
    {CORE_POINT_GNMI_LOCK, "gnmi_lock", "take the quiesce lock to send a guest NMI", CORE_LOCK_QUIESCE},
    {CORE_POINT_GNMI_WAIT_TAKEN, "gnmi_wait_taken", "wait until the target's L0 took it", 0},
    {CORE_POINT_GNMI_UNLOCK, "gnmi_unlock", "give back the quiesce lock", 0},
    {CORE_POINT_GNMI_TAKEN, "gnmi_taken", "count a guest NMI as taken", 0},
};

const PointInfo* find(uint32_t id) {
  for (const auto& p : kPoints)
    if (p.id == id) return &p;
  return nullptr;
}

}  // namespace

std::string point_name(uint32_t id) {
  const PointInfo* p = find(id);
  return p ? p->name : "point" + std::to_string(id);
}

const char* point_access(uint32_t id) {
  const PointInfo* p = find(id);
  return p ? p->access : "";
}

uint32_t point_lock(uint32_t id) {
  const PointInfo* p = find(id);
  return p ? p->lock : 0;
}

std::string lock_name(uint32_t lock) {
  switch (lock) {
    case CORE_LOCK_QUIESCE: return "quiesce";
    case CORE_LOCK_PAL: return "pal";
  }
  return "lock" + std::to_string(lock);
}

}  // namespace nestrr::replay
