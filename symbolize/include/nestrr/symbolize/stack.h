// A record's call stack: CFI frames where the CFI reaches, frame-pointer
// (or logger-walked) frames beyond, each tagged with its method, with the
// reason the walk stopped. Both unwinders' own answers are kept too.
#pragma once

#include <string>
#include <vector>

#include "nestrr/symbolize/snapshot.h"
#include "nestrr/symbolize/symbolizer.h"

namespace nestrr::symbolize {

struct StackFrame {
  RawFrame raw;
  const AddrInfo* info = nullptr;  // of pc, or pc - 1 after a call; owned by the Symbolizer
};

struct Stack {
  StackSnapshot snapshot;
  std::vector<StackFrame> frames;  // innermost first
  std::string stop_reason;         // why the merged walk ends
  UnwindResult cfi, fp;            // each unwinder alone
};

// Unwinds both ways and merges. The Symbolizer must outlive the Stack.
Stack build_stack(const StackSnapshot& snap, Symbolizer& sym);

}  // namespace nestrr::symbolize
