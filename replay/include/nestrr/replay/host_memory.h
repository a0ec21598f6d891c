// Machine-physical memory of the core on the host: one zeroed block sized
// by core_phys_size, reached through core_platform.phys. Anonymous pages:
// untouched ones cost nothing, and reset() gives them back (zero again), so
// a machine that runs many short schedules does not clear megabytes each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include "nestrr/core/core.h"
}

namespace nestrr::replay {

// The non-zero pages of a HostMemory, for a replay checkpoint.
struct MemoryImage {
  std::vector<uint32_t> pages;  // page numbers, ascending
  std::string bytes;            // their contents, 4 KiB each, in that order
};

class HostMemory {
 public:
  explicit HostMemory(const core_config& cfg);
  // In memory the caller keeps mapped (anonymous pages, at least
  // core_phys_size bytes); it is zeroed here.
  HostMemory(const core_config& cfg, void* at);
  ~HostMemory();
  HostMemory(const HostMemory&) = delete;
  HostMemory& operator=(const HostMemory&) = delete;
  // Every byte zero again.
  void reset();
  // [pa, pa + len) as a host pointer, or nullptr when outside.
  void* at(uint64_t pa, uint64_t len);
  uint64_t size() const { return size_; }
  // Copy of every page that is not all zero; restore() puts it back.
  MemoryImage snapshot() const;
  void restore(const MemoryImage& image);
  // For core_platform.phys: ctx must be a HostMemory*.
  static void* phys(void* ctx, uint64_t pa, uint64_t len);

 private:
  uint64_t size_;
  uint8_t* bytes_;
  bool owned_ = true;
};

}  // namespace nestrr::replay
