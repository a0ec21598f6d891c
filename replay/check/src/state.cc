// EPT01 lookups of the rebuilt machine state (see state.h).
#include "nestrr/check/state.h"

namespace nestrr::check {

std::optional<uint64_t> MachineState::translate(uint64_t gpa, const Ept01Page** page) const {
  auto it = ept01.find(gpa & ~(kPage - 1));
  if (it == ept01.end()) return std::nullopt;
  if (page) *page = &it->second;
  if (it->second.permissions == 0) return 0;  // unmapped: VMCS02 holds 0
  return it->second.hpa + (gpa & (kPage - 1));
}

}  // namespace nestrr::check
