// The core's machine-physical memory on the host.
#include "nestrr/replay/host_memory.h"

namespace nestrr::replay {

HostMemory::HostMemory(const core_config& cfg)
    : size_(core_phys_size(&cfg)), bytes_(new uint8_t[size_]()) {}

void* HostMemory::at(uint64_t pa, uint64_t len) {
  if (pa > size_ || len > size_ - pa) return nullptr;
  return bytes_.get() + pa;
}

void* HostMemory::phys(void* ctx, uint64_t pa, uint64_t len) {
  return static_cast<HostMemory*>(ctx)->at(pa, len);
}

}  // namespace nestrr::replay
