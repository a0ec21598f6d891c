// A one-shot loopback TCP relay for the demo: serves a byte string to the
// first client on 127.0.0.1, in small pieces, like a serial-over-LAN relay.
#pragma once

#include <cstdint>
#include <string>
#include <thread>

namespace nestrr::cli {

class LoopbackRelay {
 public:
  // Listens on 127.0.0.1 on a free port; throws std::runtime_error on failure.
  explicit LoopbackRelay(std::string bytes);
  ~LoopbackRelay();
  LoopbackRelay(const LoopbackRelay&) = delete;
  LoopbackRelay& operator=(const LoopbackRelay&) = delete;

  uint16_t port() const { return port_; }

 private:
  void serve();
  std::string bytes_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace nestrr::cli
