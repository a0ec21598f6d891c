// Names of the core's yield points (enum core_point) and of the shared
// access that follows each one, for traces and the interleaving view.
#pragma once

#include <cstdint>
#include <string>

namespace nestrr::replay {

// "vmxon_set_root"; "point<N>" for an id this table does not know.
std::string point_name(uint32_t id);
// "is_vmx_root_operation = 1": what the CPU does right after the point;
// "" if the table has no text for it.
const char* point_access(uint32_t id);
// The lock a wait_until at this point takes (enum core_lock_id), or 0.
uint32_t point_lock(uint32_t id);
// "quiesce", "pal", "lock<N>".
std::string lock_name(uint32_t lock);

}  // namespace nestrr::replay
