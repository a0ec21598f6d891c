// Records in comparable form: the fields a re-execution must reproduce
// (not times, not host addresses), their one-line description, and the
// decoder that turns the replay logger's frames back into records.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "nestrr.pb.h"
#include <string_view>

namespace nestrr::replay {

// Clears what differs between runs by nature: the time delta, the
// interrupted RIP of an NMI, the assertion's registers and stack; sets
// VmExit.guest_rip_delta to the absolute guest RIP.
void normalize(nestrr::v1::Record* record, uint64_t guest_rip);
// "nmi_received { source_cpu: 1 token: 3 progress: 812 }"
std::string describe(const nestrr::v1::Record& record);
bool same(const nestrr::v1::Record& a, const nestrr::v1::Record& b);

// Packets from the replay's own logger (its unframed packet sink) ->
// each record's normalized serialized bytes, per CPU, comparable with
// ExpectedRecord's. A chunk of one record (the replay flushes after each) is
// already normalized on the wire when the logger's clock stands still: its
// bytes are taken as they are; other chunks are parsed and normalized.
class RecordDecoder {
 public:
  explicit RecordDecoder(uint32_t cpus) : pending_(cpus) {}
  void feed_packet(const char* bytes, unsigned long n);
  std::deque<std::string>& cpu(uint32_t i) { return pending_[i]; }

 private:
  std::vector<std::deque<std::string>> pending_;
};

// Does the re-executed record (bytes from RecordDecoder) equal the log's
// (ExpectedRecord's bytes)? Equal bytes, or else equal messages.
bool same_bytes(std::string_view got, std::string_view expected);
nestrr::v1::Record parse_record(std::string_view bytes);

}  // namespace nestrr::replay
