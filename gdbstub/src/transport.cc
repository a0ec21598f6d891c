// TCP listening for the gdbserver (transport.h).
#include "nestrr/gdbstub/transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace nestrr::gdbstub {
namespace {
std::atomic<bool> g_shutdown{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");
}  // namespace

void request_shutdown() { g_shutdown.store(true, std::memory_order_relaxed); }
bool shutdown_requested() { return g_shutdown.load(std::memory_order_relaxed); }

Listener::Listener(uint16_t port, bool all_interfaces) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(all_interfaces ? INADDR_ANY : INADDR_LOOPBACK);
  const std::string where = std::string(all_interfaces ? "0.0.0.0:" : "127.0.0.1:") + std::to_string(port);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 1) != 0) {
    int e = errno;
    ::close(fd_);
    throw std::runtime_error("cannot listen on " + where + ": " + std::strerror(e));
  }
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

int Listener::accept_client() {
  int c;
  do {
    if (shutdown_requested()) return -1;
    c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  } while (c < 0 && errno == EINTR);
  if (c < 0) throw std::runtime_error(std::string("accept: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return c;
}

}  // namespace nestrr::gdbstub
