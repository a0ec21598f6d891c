// An allocator for the reader's big arrays (a CPU's events: ~80 bytes per
// record, gigabytes for a long log). Blocks of 4 MiB and more are mapped
// on their own and offered to the kernel for transparent huge pages, so a
// 10M-record log takes ~2,000 page faults instead of ~1M; smaller blocks
// come from operator new. Where the kernel has THP off, the advice is
// ignored and this is a plain mmap.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace nestrr::eventlog {

namespace detail {
inline constexpr size_t kBulkThreshold = size_t{4} << 20;
inline constexpr size_t kHugePage = size_t{2} << 20;

inline size_t bulk_length(size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

inline void* bulk_map(size_t bytes) {
  void* p = mmap(nullptr, bulk_length(bytes), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  madvise(p, bulk_length(bytes), MADV_HUGEPAGE);  // advice only: failure is harmless
  return p;
}

inline void bulk_unmap(void* p, size_t bytes) { munmap(p, bulk_length(bytes)); }
}  // namespace detail

template <class T>
struct BulkAllocator {
  using value_type = T;
  BulkAllocator() = default;
  template <class U>
  BulkAllocator(const BulkAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const size_t bytes = n * sizeof(T);
    if (bytes >= detail::kBulkThreshold) return static_cast<T*>(detail::bulk_map(bytes));
    return static_cast<T*>(::operator new(bytes, std::align_val_t{alignof(T)}));
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes >= detail::kBulkThreshold)
      detail::bulk_unmap(p, bytes);
    else
      ::operator delete(p, std::align_val_t{alignof(T)});
  }
  template <class U>
  friend bool operator==(const BulkAllocator&, const BulkAllocator<U>&) noexcept {
    return true;
  }
};

}  // namespace nestrr::eventlog
