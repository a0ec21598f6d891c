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

HostMemory::HostMemory(const core_config& cfg, void* at)
    : size_(core_phys_size(&cfg)), bytes_(static_cast<uint8_t*>(at)), owned_(false) {
  reset();
}

HostMemory::~HostMemory() {
  if (owned_) munmap(bytes_, size_);
}

void HostMemory::reset() {
  // Private anonymous pages read as zero after MADV_DONTNEED.
  if (madvise(bytes_, size_, MADV_DONTNEED) != 0) __builtin_memset(bytes_, 0, size_);
}

void* HostMemory::at(uint64_t pa, uint64_t len) {
  if (pa > size_ || len > size_ - pa) return nullptr;
  return bytes_ + pa;
}

namespace {
constexpr uint64_t kPage = 4096;
bool all_zero(const uint8_t* p) {
  static const uint8_t zero[kPage] = {};
  return __builtin_memcmp(p, zero, kPage) == 0;
}
}  // namespace

MemoryImage HostMemory::snapshot() const {
  MemoryImage img;
  for (uint64_t off = 0; off + kPage <= size_; off += kPage) {
    if (all_zero(bytes_ + off)) continue;
    img.pages.push_back(static_cast<uint32_t>(off / kPage));
    img.bytes.append(reinterpret_cast<const char*>(bytes_ + off), kPage);
  }
  return img;
}

void HostMemory::restore(const MemoryImage& img) {
  size_t k = 0;
  for (uint64_t off = 0; off + kPage <= size_; off += kPage) {
    if (k < img.pages.size() && img.pages[k] == off / kPage) {
      __builtin_memcpy(bytes_ + off, img.bytes.data() + k * kPage, kPage);
      k++;
    } else if (!all_zero(bytes_ + off)) {
      __builtin_memset(bytes_ + off, 0, kPage);
    }
  }
}

void* HostMemory::phys(void* ctx, uint64_t pa, uint64_t len) {
  return static_cast<HostMemory*>(ctx)->at(pa, len);
}

}  // namespace nestrr::replay
