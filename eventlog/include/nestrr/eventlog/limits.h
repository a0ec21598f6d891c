// Bounds on the counts and sizes a log declares. A reader checks each one
// before anything is sized by it: a log is input from a noisy line, and a
// field that says "4294967295 CPUs" must become a clear error, not an
// allocation.
//
// What a single packet holds (modules, records, stack bytes, strings) is
// bounded by the frame: a payload is at most NESTRR_FRAME_MAX_PAYLOAD
// (2048) bytes, and a length-prefixed field that claims more than the
// payload holds fails to parse (a bad_packet damage report). The limits
// here are for the counts that stand for more than the packet carries.
#pragma once

#include <cstdint>

namespace nestrr::eventlog {

// CPUs a log may declare (Header.cpu_count) or name (Packet.cpu,
// Trailer.cpu, KeyFramePiece.next_seq entries): ids are 0 .. kMaxCpus - 1.
inline constexpr uint32_t kMaxCpus = 4096;

// Bytes a key-frame region may declare (KeyFramePiece.Region.bytes). A
// sparse region sends only its non-zero pieces, so its size is not bounded
// by the file; a replay allocates it whole.
inline constexpr uint64_t kMaxKeyFrameRegionBytes = uint64_t{1} << 30;

// Bytes one EPT01 change may cover (Ept01Change.size): the largest EPT
// page. The checker follows EPT01 page by page, so a record claiming 2^40
// bytes would have it build a map of 2^28 pages.
inline constexpr uint64_t kMaxEpt01ChangeBytes = uint64_t{1} << 30;

}  // namespace nestrr::eventlog
