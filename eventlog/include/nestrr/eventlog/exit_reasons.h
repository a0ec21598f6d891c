// Names of VMX basic exit reasons (Intel SDM Vol. 3, Appendix C).
#pragma once

#include <cstdint>
#include <string_view>

namespace nestrr::eventlog {

// Name of the basic exit reason (bits 15:0), or "" if not assigned.
std::string_view exit_reason_name(uint32_t reason);

}  // namespace nestrr::eventlog
