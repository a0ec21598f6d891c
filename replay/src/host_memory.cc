// The core's machine-physical memory on the host.
#include "nestrr/replay/host_memory.h"

#include <sys/mman.h>

#include <new>

namespace nestrr::replay {

HostMemory::HostMemory(const core_config& cfg) : size_(core_phys_size(&cfg)) {
  void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  bytes_ = static_cast<uint8_t*>(p);
}

HostMemory::~HostMemory() { munmap(bytes_, size_); }

void HostMemory::reset() {
  // Private anonymous pages read as zero after MADV_DONTNEED.
  if (madvise(bytes_, size_, MADV_DONTNEED) != 0) __builtin_memset(bytes_, 0, size_);
}

void* HostMemory::at(uint64_t pa, uint64_t len) {
  if (pa > size_ || len > size_ - pa) return nullptr;
  return bytes_ + pa;
}

void* HostMemory::phys(void* ctx, uint64_t pa, uint64_t len) {
  return static_cast<HostMemory*>(ctx)->at(pa, len);
}

}  // namespace nestrr::replay
