// Key-frame assembly from KeyFramePiece packets (key_frame.h).
#include "nestrr/eventlog/key_frame.h"

#include <algorithm>

namespace nestrr::eventlog {

std::vector<uint8_t> KeyFrame::Region::flatten() const {
  std::vector<uint8_t> out(bytes, 0);
  for (const auto& [offset, data] : pieces)
    std::copy(data.begin(), data.end(), out.begin() + static_cast<std::ptrdiff_t>(offset));
  return out;
}

const KeyFrame::Region* KeyFrame::region(const std::string& name) const {
  for (const auto& r : regions)
    if (r.name == name) return &r;
  return nullptr;
}

void KeyFrameAssembler::add(const nestrr::v1::KeyFramePiece& piece, uint64_t offset) {
  auto [it, fresh] = pending_.try_emplace(piece.id());
  Pending& p = it->second;
  if (fresh) {
    p.frame.id = piece.id();
    p.frame.stream_offset = offset;
  }
  if (piece.id() == 0) p.conflict = "a piece has id 0";
  if (p.frame.pieces != 0 && piece.pieces() != p.frame.pieces)
    p.conflict = "pieces disagree on the piece count (" + std::to_string(p.frame.pieces) +
                 " and " + std::to_string(piece.pieces()) + ")";
  if (p.frame.pieces == 0) p.frame.pieces = piece.pieces();
  if (piece.piece() >= piece.pieces()) {
    p.conflict = "piece " + std::to_string(piece.piece()) + " of " +
                 std::to_string(piece.pieces());
    return;
  }
  if (piece.piece() == 0) {
    if (p.have_piece0) return;  // repeated: the first one stands
    p.have_piece0 = true;
    p.frame.next_seq.assign(piece.next_seq().begin(), piece.next_seq().end());
    for (const auto& r : piece.region()) {
      KeyFrame::Region region;
      region.name = r.name();
      region.bytes = r.bytes();
      region.sparse = r.sparse();
      p.frame.regions.push_back(std::move(region));
    }
    return;
  }
  auto [dit, dfresh] = p.data_pieces.try_emplace(piece.piece(), piece);
  if (!dfresh && dit->second.SerializeAsString() != piece.SerializeAsString())
    p.conflict = "piece " + std::to_string(piece.piece()) + " arrived twice with different data";
}

std::vector<KeyFrame> KeyFrameAssembler::finish() {
  std::vector<KeyFrame> out;
  for (auto& [id, p] : pending_) {
    KeyFrame& f = p.frame;
    f.pieces_seen = static_cast<uint32_t>(p.data_pieces.size()) + (p.have_piece0 ? 1u : 0u);
    if (!p.conflict.empty()) {
      f.problem = p.conflict;
    } else if (!p.have_piece0) {
      f.problem = "its first piece (cpus' next seqs, regions) is missing";
    } else if (f.pieces_seen != f.pieces) {
      f.problem = std::to_string(f.pieces - f.pieces_seen) + " of its " +
                  std::to_string(f.pieces) + " pieces are missing";
    }
    for (const auto& [index, piece] : p.data_pieces) {
      if (!f.problem.empty()) break;
      if (piece.region_index() >= f.regions.size()) {
        f.problem = "piece " + std::to_string(index) + " names region " +
                    std::to_string(piece.region_index()) + " of " +
                    std::to_string(f.regions.size());
        break;
      }
      auto& region = f.regions[piece.region_index()];
      if (piece.offset() > region.bytes || piece.data().size() > region.bytes - piece.offset()) {
        f.problem = "piece " + std::to_string(index) + " lies outside region " + region.name;
        break;
      }
      region.pieces[piece.offset()] = piece.data();
    }
    if (!f.problem.empty())
      for (auto& r : f.regions) r.pieces.clear();  // unusable: keep only what it claimed
    out.push_back(std::move(f));
  }
  pending_.clear();
  return out;
}

}  // namespace nestrr::eventlog
