// Test helpers: a byte sink for the logger, frame decoding (base64 + CRC)
// and the per-CPU record view of a decoded stream.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/logger.h"

namespace nestrr_test {

// Sink that appends whatever the logger writes.
struct Sink {
  std::string bytes;
  unsigned long writes = 0;
  static void write(void* ctx, const char* p, unsigned long n) {
    auto* s = static_cast<Sink*>(ctx);
    s->bytes.append(p, n);
    s->writes++;
  }
};

// Decodes every frame line of `stream` into its payload; a line that is not
// a valid frame adds a gtest failure. Payload sizes go to `sizes` if given.
std::vector<std::string> DecodeFrames(const std::string& stream);
// Payloads parsed as Packets (failures on parse errors).
std::vector<nestrr::v1::Packet> DecodePackets(const std::string& stream);

// One record with its absolute values reconstructed.
struct Rec {
  uint64_t seq = 0;
  uint64_t tsc = 0;
  // The record as logged: dt cleared, VmExit.guest_rip_delta replaced by the
  // absolute guest RIP.
  nestrr::v1::Record record;
};

struct CpuView {
  std::vector<Rec> records;  // in stream order
  bool has_trailer = false;
  nestrr::v1::Trailer trailer;
  std::vector<uint64_t> chunk_sizes;  // records per chunk
};

// Per-CPU records of a stream; `headers` gets the Header packets.
std::map<uint32_t, CpuView> Reconstruct(const std::vector<nestrr::v1::Packet>& packets,
                                        std::vector<nestrr::v1::Header>* headers = nullptr);

// Memory for a logger: owns the bytes.
struct Memory {
  std::vector<uint64_t> words;
  Memory(uint32_t cpus, uint32_t ring_bytes)
      : words(NESTRR_LOGGER_MEMORY_BYTES(cpus, ring_bytes) / 8 + 1) {}
  void* data() { return words.data(); }
  unsigned long size() const { return words.size() * 8; }
};

}  // namespace nestrr_test
