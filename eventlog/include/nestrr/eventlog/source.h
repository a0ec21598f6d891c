// Byte sources a log is captured from: a file, stdin, a serial tty, or a
// TCP stream (QEMU -serial tcp:, serial-over-LAN relays).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace nestrr::eventlog {

struct ReadResult {
  enum class Status { kData, kTimeout, kEof, kError } status = Status::kData;
  size_t bytes = 0;
  std::string error;  // for kError: what failed, naming the source
};

class Source {
 public:
  virtual ~Source() = default;
  // Waits at most `wait` for data. Never blocks longer, so callers can
  // check a stop flag between reads.
  virtual ReadResult read(std::span<uint8_t> buffer, std::chrono::milliseconds wait) = 0;
  virtual std::string describe() const = 0;
  // After kEof: opens the source again (a TCP relay that closed its
  // connection and listens again). False, with why, when it cannot now or
  // the source is not one that can be reopened.
  virtual bool reopen(std::string* why) {
    *why = describe() + " cannot be reopened";
    return false;
  }
};

// spec: "tcp:HOST:PORT", "tty:/dev/ttyS0@115200", "-" (stdin) or a path.
// Throws std::runtime_error with a message naming the spec and the reason.
std::unique_ptr<Source> open_source(const std::string& spec);

// A source over an open descriptor (a pipe from a child's stdout, ...),
// closed with the source; `name` is what messages call it.
std::unique_ptr<Source> fd_source(int fd, std::string name);

}  // namespace nestrr::eventlog
