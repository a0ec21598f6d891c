// Reading exit columns (chunk_events.h): the writer's rules, in
// hypervisor/logger/src/columns.c and proto/nestrr.proto, read back.
#include "nestrr/eventlog/chunk_events.h"

namespace nestrr::eventlog {

bool ExitColumnReader::next(nestrr::v1::VmExit* exit, uint64_t* prev_rip, int64_t* dt) {
  if (head_ >= static_cast<int>(c_.head().size())) return fail("no head byte left");
  const uint8_t h = static_cast<uint8_t>(c_.head()[head_]);
  const bool from_l2 = h & 1u;
  const bool qual_same = h & 2u;
  const uint32_t r = (h >> 2) & 7u;
  const uint32_t p = (h >> 5) & 7u;
  if (dt_ >= c_.dt_size()) return fail("no dt left");
  uint32_t reason;
  if (r == kList) {
    if (reason_ >= c_.reason_size()) return fail("no reason literal left");
    reason = c_.reason(reason_++);
  } else if (r < nreasons_) {
    reason = reasons_[r];
  } else {
    return fail("reason list position " + std::to_string(r) + " of " + std::to_string(nreasons_));
  }
  const uint64_t last_qual = r < kList ? quals_[r] : 0;
  uint64_t qual = last_qual;
  if (!qual_same) {
    if (qual_ >= c_.qualification_size()) return fail("no qualification left");
    qual = last_qual + static_cast<uint64_t>(c_.qualification(qual_++));
  }
  uint64_t rip;
  if (p == kList) {
    if (rip_ >= c_.rip_size()) return fail("no rip literal left");
    rip = *prev_rip + static_cast<uint64_t>(c_.rip(rip_++));
  } else if (p < nrips_) {
    rip = rips_[p];
  } else {
    return fail("rip list position " + std::to_string(p) + " of " + std::to_string(nrips_));
  }
  *dt = c_.dt(dt_++);
  head_++;
  // Move to front, as the writer did.
  uint32_t k = r < kList ? r : (nreasons_ < kList ? nreasons_++ : kList - 1);
  for (; k > 0; --k) {
    reasons_[k] = reasons_[k - 1];
    quals_[k] = quals_[k - 1];
  }
  reasons_[0] = reason;
  quals_[0] = qual;
  k = p < kList ? p : (nrips_ < kList ? nrips_++ : kList - 1);
  for (; k > 0; --k) rips_[k] = rips_[k - 1];
  rips_[0] = rip;
  exit->set_reason(reason);
  exit->set_guest_rip_delta(static_cast<int64_t>(rip - *prev_rip));
  exit->set_qualification(qual);
  exit->set_from_l2(from_l2);
  *prev_rip = rip;
  return true;
}

bool ExitColumnReader::all_read() const {
  return head_ == static_cast<int>(c_.head().size()) && dt_ == c_.dt_size() &&
         reason_ == c_.reason_size() && rip_ == c_.rip_size() && qual_ == c_.qualification_size();
}

}  // namespace nestrr::eventlog
