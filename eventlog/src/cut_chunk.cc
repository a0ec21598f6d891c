// Reading the start of a cut chunk packet (cut_chunk.h): protobuf fields in
// wire order until the bytes run out.
#include "cut_chunk.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "nestrr/frame.h"

namespace nestrr::eventlog::detail {

std::optional<CutChunk> read_cut_chunk(std::string_view prefix) {
  using google::protobuf::internal::WireFormatLite;
  // A frame cut after its last CRC byte is whole and kept, so the last
  // bytes of a cut one may be up to three bytes of its CRC: only what
  // lies before them is surely payload.
  const size_t crc_tail = NESTRR_FRAME_CRC_BYTES - 1;
  if (prefix.size() <= crc_tail) return std::nullopt;
  const int trusted = static_cast<int>(prefix.size() - crc_tail);
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(prefix.data()),
                                            static_cast<int>(prefix.size()));
  CutChunk c;
  // Writers put the fields in a fixed order and may leave out zeros (a
  // protobuf default): cpu, first_seq, tsc_base, dt_shift (format 4; the
  // logger writes it before the records), the records, then the exit
  // columns and their order runs (format 4). A first seq, TSC base or
  // record means the fields before it are known, as written or as zero.
  auto rank = [](int field) {
    switch (field) {
      case 1: case 2: case 3: return field;
      case 10: return 4;  // dt_shift
      case 4: return 5;   // record
      case 8: return 6;   // exits
      case 9: return 7;   // order
      default: return 0;
    }
  };
  bool have_seq = false;
  int last_rank = 0;
  uint64_t records = 0;
  for (;;) {
    const int at = in.CurrentPosition();
    if (at >= trusted) break;
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;  // the bytes ran out (or a zero tag: garbage)
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto type = WireFormatLite::GetTagWireType(tag);
    const int r = rank(field);
    // A header, trailer or key frame, or bytes no writer puts first.
    if (r == 0) {
      if (records == 0) return std::nullopt;
      break;
    }
    // Out of order: past the payload, or not a packet the writers make.
    if (r < last_rank || (r == last_rank && field != 4)) break;
    last_rank = r;
    if ((field == 1 || field == 2 || field == 3 || field == 10) &&
        type == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t v = 0;
      if (!in.ReadVarint64(&v) || in.CurrentPosition() > trusted) break;
      if (field == 1) {
        if (v > UINT32_MAX) return std::nullopt;
        c.cpu = static_cast<uint32_t>(v);
      } else {
        if (field == 2) c.first_seq = v;
        have_seq = true;
      }
      continue;
    }
    if (field == 4 && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      // A record begins here, whole or not.
      have_seq = true;
      ++records;
      uint32_t len = 0;
      if (!in.ReadVarint32(&len) || !in.Skip(static_cast<int>(len))) break;
      continue;
    }
    if (field == 8 && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      // The exit columns begin with `head`, one byte per exit: its length
      // is the chunk's exit count, if it arrived.
      have_seq = true;
      uint32_t len = 0, head = 0;
      if (!in.ReadVarint32(&len) || in.CurrentPosition() >= trusted) break;
      if (in.ReadTag() != WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) break;
      if (!in.ReadVarint32(&head) || in.CurrentPosition() > trusted || head > len) break;
      records += head;
      break;
    }
    break;
  }
  // Cut before the first seq: too short to say whose records were lost.
  if (!have_seq) return std::nullopt;
  c.records = records ? records : 1;
  return c;
}

}  // namespace nestrr::eventlog::detail
