// Ground truth for a noisy round trip: which frames of a clean stream a
// NoisyChannel hit, which records therefore may be lost, and a check that a
// reader of the noisy stream lost exactly those and counted them.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nestrr/eventlog/log.h"

namespace nestrr::eventlog {

// One frame of a clean stream and the records it carried.
struct FrameSpan {
  uint64_t offset = 0;
  uint64_t length = 0;  // including the line end
  bool is_chunk = false;
  uint32_t cpu = 0;
  uint64_t first_seq = 0;
  uint64_t records = 0;
};

// The frames of a clean (undamaged) stream, in order.
std::vector<FrameSpan> frame_spans(std::string_view clean);

// A writer's stream cut into the header frame (and anything before it),
// the run itself, and the trailing frames that carry no records (trailers):
// noise applied to `body` only is a line that was clean at boot and at the
// end, so tail loss stays countable.
struct RunParts {
  std::string head, body, tail;
};
RunParts split_run(std::string_view stream);

using RecordId = std::pair<uint32_t, uint64_t>;  // (cpu, seq)

struct NoiseTruth {
  uint64_t frames = 0;            // frames in the clean stream
  uint64_t frames_hit = 0;        // frames with a damaged byte between mark and line end
  uint64_t frames_hit_newline = 0;  // frames hit only in mark or line end (may survive)
  uint64_t records = 0;           // records in the clean stream
  uint64_t records_hit = 0;       // records in frames_hit
  std::set<RecordId> must_survive;  // records of frames not hit at all
  std::set<RecordId> may_survive;   // must_survive plus newline-only hits
};

// `damaged`: input positions from NoiseResult::damaged.
NoiseTruth noise_truth(std::string_view clean, const std::vector<uint64_t>& damaged);

struct TruthCheck {
  bool exact = false;  // nothing unhit lost, nothing hit kept, loss counted
  uint64_t records_kept = 0;
  uint64_t records_lost_reported = 0;
  std::vector<std::string> problems;  // empty when exact
};

TruthCheck check_against_truth(const Log& noisy, const NoiseTruth& truth);

}  // namespace nestrr::eventlog
