// Small text helpers shared by the reader and the formatters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nestrr/eventlog/hex.h"

namespace nestrr::eventlog::detail {

// Valid UTF-8 is kept; every byte that is not part of a valid sequence
// becomes the four characters "\xNN", so nothing is lost and proto3 string
// fields stay valid.
std::string sanitize_utf8(std::string_view bytes);

using eventlog::hex;  // "0x1234" (nestrr/eventlog/hex.h)

}  // namespace nestrr::eventlog::detail
