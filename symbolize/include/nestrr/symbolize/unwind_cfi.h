// The DWARF CFI unwinder: libdwfl's frame unwinding over the logged
// registers, the logged stack bytes and the ELF images' loaded sections.
#pragma once

#include "nestrr/symbolize/snapshot.h"
#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::symbolize {

// Frames found through call-frame information (.eh_frame/.debug_frame).
// Stops where a frame has no CFI (libdwfl would otherwise guess with frame
// pointers; that is unwind_fp's job) or needs memory nobody logged. Never
// throws; a failure is the stop reason.
UnwindResult unwind_cfi(const StackSnapshot& snap, Symbolizer& images, size_t max_frames = 64);

}  // namespace nestrr::symbolize
