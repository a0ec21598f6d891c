// libFuzzer target: the testbox image's kernel command-line parser
// (hypervisor/testbox/src/options.c), built for the host. Any bytes up to
// the first NUL are a command line; the parser must either accept it with
// options in range or refuse it with a terminated message inside `err`.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {
#include "options.h"
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string cmdline(reinterpret_cast<const char*>(data), size);
  cmdline.resize(std::strlen(cmdline.c_str()));
  testbox_options o;
  std::memset(&o, 0xa5, sizeof o);
  char err[96];
  std::memset(err, 0x5a, sizeof err);
  if (options_parse(cmdline.c_str(), &o, err, sizeof err)) {
    if (o.cpus < 1 || o.cpus > CORE_MAX_CPUS) std::abort();
    if (o.workload_count > CORE_MAX_CPUS) std::abort();
    for (uint32_t i = 0; i < o.workload_count; i++)
      if (o.workload[i] > 3) std::abort();
    if (std::memchr(o.widen_option, 0, sizeof o.widen_option) == nullptr) std::abort();
    if (o.widen_point > 255) std::abort();
  } else {
    if (std::memchr(err, 0, sizeof err) == nullptr) std::abort();
  }
  return 0;
}
