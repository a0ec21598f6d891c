// The running program as a symbolizer module: replay re-executes the core
// inside this process, so its stack addresses are this image's addresses.
#pragma once

#include "nestrr/symbolize/module_set.h"

namespace nestrr::report::detail {

// The executable with its build-id and the bias it is loaded at. Throws
// std::runtime_error when its ELF file cannot be read.
symbolize::ModuleSet self_image();

}  // namespace nestrr::report::detail
