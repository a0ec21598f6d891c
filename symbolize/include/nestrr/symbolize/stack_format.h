// Text forms of a Stack: the call tree (outermost first, one indent per
// call, inlined calls included) and a gdb-style backtrace.
#pragma once

#include <string>

#include "nestrr/symbolize/stack.h"

namespace nestrr::symbolize {

// main  [fp]  t.cc:140
//   nmi_check_quiesce  [cfi]  t.cc:91
//     find_current_vmcs12  [inlined]  t.cc:64
//       assertion failed: v->has_vmcs12() (t.cc:64)
// followed by "unwinding stopped: ...".
std::string format_stack_tree(const Stack& stack);

// #0  0x0000000000401136 in find_current_vmcs12 (t.cc:64)  [registers, inlined]
std::string format_stack_gdb(const Stack& stack);

}  // namespace nestrr::symbolize
