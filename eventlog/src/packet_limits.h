// The limits of limits.h applied to one decoded packet, before the reader
// keeps anything from it. Shared by the whole-log builder and the
// front-to-back stream.
#pragma once

#include <string>

#include "nestrr.pb.h"

namespace nestrr::eventlog::detail {

// Empty when every count the packet declares is within limits.h; else
// what it claims and what the limit is, e.g. "header declares 4294967295
// CPUs; at most 4096 are supported".
std::string packet_limit_problem(const nestrr::v1::Packet& packet);

}  // namespace nestrr::eventlog::detail
