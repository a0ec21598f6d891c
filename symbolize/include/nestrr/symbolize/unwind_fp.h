// The frame-pointer unwinder: follows the saved RBP chain through the
// logged stack bytes, then the return addresses the logger itself walked
// where the chain leaves the logged window.
#pragma once

#include "nestrr/symbolize/snapshot.h"

namespace nestrr::symbolize {

// Frames for code built with -fno-omit-frame-pointer. Never throws.
UnwindResult unwind_fp(const StackSnapshot& snap, size_t max_frames = 64);

}  // namespace nestrr::symbolize
