// Key frames of a flight-recorder log (KeyFramePiece packets): the state
// the hypervisor's core resumes from when the rings no longer reach back to
// the start of the run. A key frame arrives in pieces; it is usable only if
// every piece arrived and no two pieces disagree.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nestrr.pb.h"

namespace nestrr::eventlog {

struct KeyFrame {
  struct Region {
    std::string name;  // e.g. "core", "phys"
    uint64_t bytes = 0;
    bool sparse = false;          // pieces not present are all zero
    std::map<uint64_t, std::string> pieces;  // offset -> data
    // The region as one buffer (absent sparse pieces as zeros).
    std::vector<uint8_t> flatten() const;
  };

  uint64_t id = 0;
  std::vector<uint64_t> next_seq;  // per CPU: seq of its first record after
  std::vector<Region> regions;
  uint32_t pieces = 0;       // as piece 0 announced
  uint32_t pieces_seen = 0;  // distinct pieces that arrived
  uint64_t stream_offset = 0;  // of its first piece
  std::string problem;       // why it is not usable; empty when complete

  bool complete() const { return problem.empty(); }
  const Region* region(const std::string& name) const;
};

// Collects KeyFramePiece packets in any order; finish() checks them.
class KeyFrameAssembler {
 public:
  void add(const nestrr::v1::KeyFramePiece& piece, uint64_t offset);
  // Ascending id; incomplete ones keep their problem.
  std::vector<KeyFrame> finish();

 private:
  struct Pending {
    KeyFrame frame;
    bool have_piece0 = false;
    std::map<uint32_t, nestrr::v1::KeyFramePiece> data_pieces;  // by piece index
    std::string conflict;
  };
  std::map<uint64_t, Pending> pending_;
};

}  // namespace nestrr::eventlog
