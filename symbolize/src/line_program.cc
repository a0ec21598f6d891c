// The line-number state machine of DWARF 2-5 (section 6.2), over the
// opcodes only: the header is read for the fields the opcodes need and
// skipped by its header_length.
#include "line_program.h"

#include <dwarf.h>

#include <cstring>

namespace nestrr::symbolize {

namespace {

class Reader {
 public:
  Reader(const unsigned char* p, const unsigned char* end) : p_(p), end_(end) {}
  bool ok() const { return ok_; }
  const unsigned char* pos() const { return p_; }
  bool at_end() const { return p_ >= end_; }

  uint64_t fixed(size_t n) {
    if (size_t(end_ - p_) < n) return fail();
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= uint64_t(p_[i]) << (8 * i);  // little-endian (x86)
    p_ += n;
    return v;
  }
  uint64_t uleb() {
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
      if (p_ >= end_) return fail();
      unsigned char b = *p_++;
      if (shift < 64) v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  }
  int64_t sleb() {
    int64_t v = 0;
    unsigned shift = 0;
    unsigned char b;
    do {
      if (p_ >= end_) return int64_t(fail());
      b = *p_++;
      if (shift < 64) v |= int64_t(b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= -(int64_t(1) << shift);
    return v;
  }
  void skip(uint64_t n) {
    if (uint64_t(end_ - p_) < n) {
      fail();
      return;
    }
    p_ += n;
  }
  void skip_string() {
    const void* nul = std::memchr(p_, 0, size_t(end_ - p_));
    if (!nul) {
      fail();
      return;
    }
    p_ = static_cast<const unsigned char*>(nul) + 1;
  }

 private:
  uint64_t fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const unsigned char* p_;
  const unsigned char* end_;
  bool ok_ = true;
};

}  // namespace

bool decode_line_program(const unsigned char* section, size_t size, uint64_t offset, unsigned address_size,
                         const std::function<void(const LineProgramRow&)>& row) {
  if (offset >= size) return false;
  Reader h(section + offset, section + size);
  uint64_t unit_length = h.fixed(4);
  unsigned offset_size = 4;
  if (unit_length == 0xffffffff) {
    unit_length = h.fixed(8);
    offset_size = 8;
  }
  if (!h.ok() || unit_length > uint64_t(section + size - h.pos())) return false;
  const unsigned char* unit_end = h.pos() + unit_length;
  Reader r(h.pos(), unit_end);
  unsigned version = unsigned(r.fixed(2));
  if (version < 2 || version > 5) return false;
  if (version >= 5) {
    unsigned asize = unsigned(r.fixed(1));
    if (asize) address_size = asize;
    r.fixed(1);  // segment selector size
  }
  uint64_t header_length = r.fixed(offset_size);
  const unsigned char* program = r.pos() + header_length;
  unsigned min_inst = unsigned(r.fixed(1));
  unsigned max_ops = version >= 4 ? unsigned(r.fixed(1)) : 1;
  bool default_is_stmt = r.fixed(1) != 0;
  (void)default_is_stmt;
  int line_base = int8_t(r.fixed(1));
  unsigned line_range = unsigned(r.fixed(1));
  unsigned opcode_base = unsigned(r.fixed(1));
  unsigned char std_lengths[256] = {};
  for (unsigned i = 1; i < opcode_base; i++) std_lengths[i] = (unsigned char)r.fixed(1);
  if (!r.ok() || program > unit_end || program < r.pos() || line_range == 0 || max_ops == 0) return false;
  if (address_size != 4 && address_size != 8) return false;

  Reader p(program, unit_end);
  while (!p.at_end() && p.ok()) {
    uint64_t address = 0;
    unsigned op_index = 0;
    LineProgramRow s{0, 1, 1, 0, 0, false};
    int64_t line = 1;
    auto advance = [&](uint64_t operation_advance) {
      if (max_ops == 1) {
        address += min_inst * operation_advance;
      } else {
        address += min_inst * ((op_index + operation_advance) / max_ops);
        op_index = unsigned((op_index + operation_advance) % max_ops);
      }
    };
    auto emit = [&](bool end) {
      s.address = address;
      s.line = uint32_t(line);
      s.end_sequence = end;
      row(s);
      s.discriminator = 0;
    };
    bool end = false;
    while (!end && !p.at_end() && p.ok()) {
      unsigned op = unsigned(p.fixed(1));
      if (op >= opcode_base) {
        unsigned adjusted = op - opcode_base;
        advance(adjusted / line_range);
        line += line_base + int(adjusted % line_range);
        emit(false);
        continue;
      }
      switch (op) {
        case 0: {  // extended
          uint64_t len = p.uleb();
          if (len == 0) break;
          const unsigned char* start = p.pos();
          unsigned ext = unsigned(p.fixed(1));
          if (ext == DW_LNE_end_sequence) {
            emit(true);
            end = true;
          } else if (ext == DW_LNE_set_address && len - 1 == address_size) {
            address = p.fixed(address_size);
            op_index = 0;
          } else if (ext == DW_LNE_set_discriminator) {
            s.discriminator = uint32_t(p.uleb());
          }
          // Anything else (DW_LNE_define_file, vendor ops) by its length.
          p.skip(len - uint64_t(p.pos() - start));
          break;
        }
        case DW_LNS_copy:
          emit(false);
          break;
        case DW_LNS_advance_pc:
          advance(p.uleb());
          break;
        case DW_LNS_advance_line:
          line += p.sleb();
          break;
        case DW_LNS_set_file:
          s.file = uint32_t(p.uleb());
          break;
        case DW_LNS_set_column:
          s.column = uint32_t(p.uleb());
          break;
        case DW_LNS_negate_stmt:
        case DW_LNS_set_basic_block:
        case DW_LNS_set_prologue_end:
        case DW_LNS_set_epilogue_begin:
          break;
        case DW_LNS_const_add_pc:
          advance((255 - opcode_base) / line_range);
          break;
        case DW_LNS_fixed_advance_pc:
          address += p.fixed(2);
          op_index = 0;
          break;
        default:  // DW_LNS_set_isa and unknown standard opcodes
          for (unsigned i = 0; i < std_lengths[op]; i++) p.uleb();
          break;
      }
    }
  }
  return p.ok();
}

}  // namespace nestrr::symbolize
