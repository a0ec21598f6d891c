// libFuzzer target: the LogScanner (scan.h), the fast path through a log:
// frames decoded in bulk, packets walked on the wire, CPUs merged by TSC
// in a bounded window. The input is a list of packet payloads framed with
// good CRCs (packet_frames.h). Whatever they say, the scanner gives each
// CPU's records in seq order, each record it kept exactly once, and every
// record it counted either given or counted as a duplicate.
#include <cstddef>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>

#include "nestrr/eventlog/scan.h"
#include "packet_frames.h"

using namespace nestrr::eventlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t cut = 0;
  const std::string bytes = nestrr_fuzz::frames_of(data, size, &cut).substr(0, cut);
  // A small merge window now and then (the last byte chooses), so that the
  // merge also gives up waiting for a quiet CPU.
  const size_t window = size && data[size - 1] % 4 == 0 ? 1 + data[size - 1] % 13 : size_t{1} << 20;
  std::istringstream in(bytes);
  LogScanner scanner(in, window);
  (void)scanner.header();
  std::map<uint32_t, uint64_t> next_seq;
  uint64_t given = 0;
  while (const ScanRecord* r = scanner.next()) {
    auto [it, fresh] = next_seq.try_emplace(r->cpu, 0);
    if (!fresh && r->seq < it->second) __builtin_trap();
    it->second = r->seq + 1;
    ++given;
    (void)r->record();
  }
  const ScanStats& stats = scanner.stats();
  if (given + stats.duplicates != stats.records) __builtin_trap();
  if (scanner.queued() != 0) __builtin_trap();
  if (stats.bytes != bytes.size()) __builtin_trap();
  return 0;
}
