// Records in comparable form: the fields a re-execution must reproduce
// (not times, not host addresses), their one-line description, and the
// decoder that turns the replay logger's frames back into records.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/frame_reader.h"

namespace nestrr::replay {

// Clears what differs between runs by nature: the time delta, the
// interrupted RIP of an NMI, the assertion's registers and stack; sets
// VmExit.guest_rip_delta to the absolute guest RIP.
void normalize(nestrr::v1::Record* record, uint64_t guest_rip);
// "nmi_received { source_cpu: 1 token: 3 progress: 812 }"
std::string describe(const nestrr::v1::Record& record);
bool same(const nestrr::v1::Record& a, const nestrr::v1::Record& b);

// Frames from the replay's own logger -> normalized records per CPU.
class RecordDecoder : private eventlog::FrameSink {
 public:
  explicit RecordDecoder(uint32_t cpus);
  void feed(const char* bytes, unsigned long n) { reader_.feed(std::string_view(bytes, n)); }
  std::deque<nestrr::v1::Record>& cpu(uint32_t i) { return pending_[i]; }

 private:
  void on_frame(const eventlog::Frame& frame) override;
  void on_text(const eventlog::TextLine&) override {}
  void on_damage(const eventlog::Damage&) override {}

  eventlog::FrameReader reader_;
  std::vector<std::deque<nestrr::v1::Record>> pending_;
};

}  // namespace nestrr::replay
