// Merging the two unwinders: CFI knows about frames without frame pointers
// and about callee-saved registers; the frame-pointer chain (and the
// logger's own walk) often reaches further, past code without CFI or
// beyond the logged bytes.
#include "nestrr/symbolize/stack.h"

#include <fmt/format.h>

#include "nestrr/symbolize/unwind_cfi.h"
#include "nestrr/symbolize/unwind_fp.h"

namespace nestrr::symbolize {

Stack build_stack(const StackSnapshot& snap, Symbolizer& sym) {
  Stack s;
  s.snapshot = snap;
  s.cfi = unwind_cfi(snap, sym);
  s.fp = unwind_fp(snap);
  std::vector<RawFrame> merged = s.cfi.frames;
  // Where does the frame-pointer walk pass the last CFI frame? The same
  // return address at the same depth, else the nearest deeper match.
  size_t last = merged.size() - 1;
  size_t join = s.fp.frames.size();
  if (last < s.fp.frames.size() && s.fp.frames[last].pc == merged[last].pc) {
    join = last;
  } else {
    for (size_t i = 0; i < s.fp.frames.size(); i++)
      if (s.fp.frames[i].pc == merged[last].pc && s.fp.frames[i].return_address == merged[last].return_address) {
        join = i;
        break;
      }
  }
  if (join + 1 < s.fp.frames.size()) {
    merged.insert(merged.end(), s.fp.frames.begin() + static_cast<std::ptrdiff_t>(join) + 1, s.fp.frames.end());
    s.stop_reason = fmt::format("CFI stopped after frame #{}: {}; frame pointers took over and stopped: {}", last,
                                s.cfi.stop_reason, s.fp.stop_reason);
  } else if (snap.has_registers) {
    s.stop_reason = fmt::format("CFI: {} (frame pointers: {})", s.cfi.stop_reason, s.fp.stop_reason);
  } else {
    s.stop_reason = s.cfi.stop_reason;
  }
  for (size_t i = 0; i < merged.size(); i++) {
    RawFrame f = merged[i];
    // Above an interrupt entry (CFI signal frame) the pc is where the
    // interrupt came, not a return address: its own line, as gdb shows it.
    if (i > 0 && f.return_address) {
      const RawFrame& inner = merged[i - 1];
      uint64_t inner_at = inner.return_address && inner.pc > 0 ? inner.pc - 1 : inner.pc;
      if (sym.is_signal_frame(inner_at)) f.return_address = false;
    }
    uint64_t at = f.return_address && f.pc > 0 ? f.pc - 1 : f.pc;
    s.frames.push_back({f, &sym.lookup(at)});
  }
  return s;
}

}  // namespace nestrr::symbolize
