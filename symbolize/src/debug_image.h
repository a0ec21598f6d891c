// The DWARF sections an ElfIndex reads, decompressed, as an ELF image in
// memory for libdw. Opening a file with compressed debug sections, libdw
// inflates every one of them with zlib (location lists and CFI too, which
// symbolizing never reads): most of a cold lookup in Debian's libc debug
// file. This inflates only the sections read (info, abbrev, line,
// strings, ranges, addresses) with libdeflate, about twice as fast,
// straight into place in the image.
#pragma once

#include <libelf.h>

#include <memory>

namespace nestrr::symbolize {

class DebugImage {
 public:
  // Null when `elf` has no compressed debug section, or one this does not
  // handle (libdw then reads the file itself).
  static std::unique_ptr<DebugImage> decompress(Elf* elf);
  ~DebugImage();
  DebugImage(const DebugImage&) = delete;
  DebugImage& operator=(const DebugImage&) = delete;

  Elf* elf() const { return elf_; }

 private:
  DebugImage() = default;
  std::unique_ptr<char[]> bytes_;
  Elf* elf_ = nullptr;
};

}  // namespace nestrr::symbolize
