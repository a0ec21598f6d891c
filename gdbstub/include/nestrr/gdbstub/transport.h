// Where a gdbserver meets its client: a TCP port (loopback unless told
// otherwise) or the process's own stdin/stdout (`target remote | ...`).
#pragma once

#include <cstdint>
#include <string>

namespace nestrr::gdbstub {

// Asks every blocking wait of the server (accept, a client's next packet,
// a long resume) to end as if the client had gone. Async-signal-safe: the
// command's SIGINT/SIGTERM handler calls it (installed without SA_RESTART,
// so that the signal interrupts the wait).
void request_shutdown();
bool shutdown_requested();

// A listening TCP socket. Throws std::runtime_error naming the address
// and the reason when it cannot bind.
class Listener {
 public:
  // port 0 picks a free port (see port()).
  Listener(uint16_t port, bool all_interfaces = false);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  uint16_t port() const { return port_; }
  // Blocks until a client connects; returns its socket (caller closes),
  // or -1 once request_shutdown() was called.
  int accept_client();

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace nestrr::gdbstub
