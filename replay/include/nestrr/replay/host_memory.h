// Machine-physical memory of the core on the host: one zeroed block sized
// by core_phys_size, reached through core_platform.phys. Anonymous pages:
// untouched ones cost nothing, and reset() gives them back (zero again), so
// a machine that runs many short schedules does not clear megabytes each.
#pragma once

#include <cstdint>

extern "C" {
#include "nestrr/core/core.h"
}

namespace nestrr::replay {

class HostMemory {
 public:
  explicit HostMemory(const core_config& cfg);
  ~HostMemory();
  HostMemory(const HostMemory&) = delete;
  HostMemory& operator=(const HostMemory&) = delete;
  // Every byte zero again.
  void reset();
  // [pa, pa + len) as a host pointer, or nullptr when outside.
  void* at(uint64_t pa, uint64_t len);
  uint64_t size() const { return size_; }
  // For core_platform.phys: ctx must be a HostMemory*.
  static void* phys(void* ctx, uint64_t pa, uint64_t len);

 private:
  uint64_t size_;
  uint8_t* bytes_;
};

}  // namespace nestrr::replay
