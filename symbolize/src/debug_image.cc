// Laying out the in-memory image of debug_image.h: the file's ELF header
// and section headers, the sections a symbolizer reads (inflated where
// compressed), every other section left empty (SHT_NOBITS).
#include "debug_image.h"

#include <gelf.h>
#include <libdeflate.h>

#include <cstring>
#include <string_view>
#include <vector>

namespace nestrr::symbolize {

namespace {

bool read_by_symbolizer(std::string_view name) {
  for (std::string_view n : {".debug_info", ".debug_abbrev", ".debug_line", ".debug_str", ".debug_line_str",
                             ".debug_ranges", ".debug_rnglists", ".debug_addr", ".debug_str_offsets"})
    if (name == n) return true;
  return false;
}

uint64_t align8(uint64_t v) { return (v + 7) & ~uint64_t(7); }

}  // namespace

DebugImage::~DebugImage() {
  if (elf_) elf_end(elf_);
}

std::unique_ptr<DebugImage> DebugImage::decompress(Elf* elf) {
  const unsigned char* ident = reinterpret_cast<const unsigned char*>(elf_getident(elf, nullptr));
  if (!ident || ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB) return nullptr;
  Elf64_Ehdr* ehdr = elf64_getehdr(elf);
  size_t shnum = 0, shstrndx = 0;
  if (!ehdr || elf_getshdrnum(elf, &shnum) != 0 || elf_getshdrstrndx(elf, &shstrndx) != 0 || shnum == 0 ||
      shnum >= SHN_LORESERVE || shstrndx >= SHN_LORESERVE)
    return nullptr;

  struct Piece {
    Elf64_Shdr shdr;
    const char* in = nullptr;  // source bytes (compressed or not)
    size_t in_size = 0;
    bool compressed = false;
  };
  std::vector<Piece> pieces(shnum);
  bool any_compressed = false;
  uint64_t offset = align8(sizeof(Elf64_Ehdr));
  for (size_t i = 1; i < shnum; i++) {
    Elf_Scn* scn = elf_getscn(elf, i);
    Elf64_Shdr* sh = scn ? elf64_getshdr(scn) : nullptr;
    if (!sh) return nullptr;
    Piece& p = pieces[i];
    p.shdr = *sh;
    const char* name = elf_strptr(elf, shstrndx, sh->sh_name);
    std::string_view n = name ? name : "";
    if (n.substr(0, 8) == ".zdebug_") return nullptr;  // GNU-style compression: libdw's business
    bool keep = (i == shstrndx || read_by_symbolizer(n)) && sh->sh_type != SHT_NOBITS;
    if (!keep) {
      p.shdr.sh_type = SHT_NOBITS;
      p.shdr.sh_offset = 0;
      p.shdr.sh_size = 0;
      p.shdr.sh_flags &= ~uint64_t(SHF_COMPRESSED);
      continue;
    }
    Elf_Data* raw = elf_rawdata(scn, nullptr);
    if (!raw || (!raw->d_buf && raw->d_size)) return nullptr;
    p.in = static_cast<const char*>(raw->d_buf);
    p.in_size = raw->d_size;
    if (sh->sh_flags & SHF_COMPRESSED) {
      if (p.in_size < sizeof(Elf64_Chdr)) return nullptr;
      Elf64_Chdr chdr;
      std::memcpy(&chdr, p.in, sizeof chdr);
      if (chdr.ch_type != ELFCOMPRESS_ZLIB) return nullptr;
      p.compressed = any_compressed = true;
      p.shdr.sh_flags &= ~uint64_t(SHF_COMPRESSED);
      p.shdr.sh_size = chdr.ch_size;
      p.shdr.sh_addralign = chdr.ch_addralign;
    }
    p.shdr.sh_offset = offset;
    offset = align8(offset + p.shdr.sh_size);
  }
  if (!any_compressed) return nullptr;

  uint64_t shoff = offset;
  uint64_t total = shoff + shnum * sizeof(Elf64_Shdr);
  auto image = std::unique_ptr<DebugImage>(new DebugImage);
  image->bytes_.reset(new char[total]);
  char* out = image->bytes_.get();
  Elf64_Ehdr e = *ehdr;
  e.e_phoff = 0;
  e.e_phnum = 0;
  e.e_shoff = shoff;
  e.e_shnum = uint16_t(shnum);
  std::memcpy(out, &e, sizeof e);
  std::memset(out + shoff, 0, sizeof(Elf64_Shdr));
  libdeflate_decompressor* inflater = libdeflate_alloc_decompressor();
  if (!inflater) return nullptr;
  bool ok = true;
  for (size_t i = 1; i < shnum && ok; i++) {
    const Piece& p = pieces[i];
    std::memcpy(out + shoff + i * sizeof(Elf64_Shdr), &p.shdr, sizeof(Elf64_Shdr));
    if (!p.in) continue;
    if (!p.compressed) {
      std::memcpy(out + p.shdr.sh_offset, p.in, p.in_size);
      continue;
    }
    size_t produced = 0;
    ok = libdeflate_zlib_decompress(inflater, p.in + sizeof(Elf64_Chdr), p.in_size - sizeof(Elf64_Chdr),
                                    out + p.shdr.sh_offset, p.shdr.sh_size, &produced) == LIBDEFLATE_SUCCESS &&
         produced == p.shdr.sh_size;
  }
  libdeflate_free_decompressor(inflater);
  if (!ok) return nullptr;
  image->elf_ = elf_memory(out, total);
  if (!image->elf_ || elf_kind(image->elf_) != ELF_K_ELF) return nullptr;
  return image;
}

}  // namespace nestrr::symbolize
