// One client of the remote protocol over a pair of file descriptors (a
// TCP socket, or stdin/stdout): reads packets, acknowledges them until
// QStartNoAckMode, sends replies and waits for their acknowledgement.
// Speaks only the wire protocol; what packets mean is the server's.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "nestrr/gdbstub/packet.h"

namespace nestrr::gdbstub {

class Connection {
 public:
  Connection(int in_fd, int out_fd) : in_(in_fd), out_(out_fd) {}

  // The next good packet; nullopt when the client is gone (EOF, error).
  // Bad checksums are answered with '-' (in ack mode) and skipped;
  // oversized packets get an `E` reply.
  std::optional<std::string> read_packet();
  // Sends one reply; in ack mode, resends on '-' (a few times).
  bool send(std::string_view payload);
  void set_no_ack() { ack_mode_ = false; }
  // A ^C (0x03) arrived since the last call; reads only what is ready.
  bool poll_interrupt();
  bool closed() const { return closed_; }

  // What went wrong on the wire, for diagnostics and tests.
  struct Counters {
    uint64_t packets = 0, bad_checksums = 0, oversized = 0, resends = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  // Reads more bytes into the reader; false at EOF or on an error.
  bool fill(bool block);
  bool write_all(std::string_view bytes);
  int in_, out_;
  bool ack_mode_ = true, closed_ = false, interrupted_ = false;
  PacketReader reader_;
  std::deque<ReaderEvent> events_;
  Counters counters_;
};

}  // namespace nestrr::gdbstub
