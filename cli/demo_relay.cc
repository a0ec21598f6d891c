// Loopback TCP relay for the demo (see demo_relay.h).
#include "demo_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace nestrr::cli {

LoopbackRelay::LoopbackRelay(std::string bytes) : bytes_(std::move(bytes)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("relay: socket: ") + strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 1) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string why = strerror(errno);
    close(listen_fd_);
    throw std::runtime_error("relay: cannot listen on 127.0.0.1: " + why);
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LoopbackRelay::~LoopbackRelay() {
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void LoopbackRelay::serve() {
  // One client, waited for at most 10 s, so a demo without a client ends.
  pollfd p{listen_fd_, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) return;
  int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  constexpr size_t kPiece = 512;
  for (size_t off = 0; off < bytes_.size();) {
    size_t n = std::min(kPiece, bytes_.size() - off);
    ssize_t w = send(fd, bytes_.data() + off, n, MSG_NOSIGNAL);
    if (w <= 0) break;
    off += static_cast<size_t>(w);
  }
  close(fd);
}

}  // namespace nestrr::cli
