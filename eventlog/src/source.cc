// POSIX sources: one file-descriptor reader with poll(2), opened four ways.
#include "nestrr/eventlog/source.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

namespace nestrr::eventlog {
namespace {

class FdSource : public Source {
 public:
  FdSource(int fd, std::string name, bool owned) : fd_(fd), name_(std::move(name)), owned_(owned) {}
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  ReadResult read(std::span<uint8_t> buffer, std::chrono::milliseconds wait) override {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (r < 0) {
      if (errno == EINTR) return {ReadResult::Status::kTimeout, 0, {}};
      return {ReadResult::Status::kError, 0, name_ + ": poll: " + std::strerror(errno)};
    }
    if (r == 0) return {ReadResult::Status::kTimeout, 0, {}};
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return {ReadResult::Status::kTimeout, 0, {}};
      return {ReadResult::Status::kError, 0, name_ + ": read: " + std::strerror(errno)};
    }
    if (n == 0) return {ReadResult::Status::kEof, 0, {}};
    return {ReadResult::Status::kData, static_cast<size_t>(n), {}};
  }
  std::string describe() const override { return name_; }

 private:
  int fd_;
  std::string name_;
  bool owned_;
};

[[noreturn]] void fail(const std::string& spec, const std::string& why) {
  throw std::runtime_error("cannot open capture source '" + spec + "': " + why);
}

// A connected socket to host:port, or -1 with why.
int connect_tcp(const std::string& host, const std::string& port, std::string* why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
  if (rc != 0) {
    *why = std::string("cannot resolve: ") + ::gai_strerror(rc);
    return -1;
  }
  *why = "no address";
  for (addrinfo* a = list; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      *why = std::strerror(errno);
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      ::freeaddrinfo(list);
      return fd;
    }
    *why = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(list);
  return -1;
}

// A TCP stream that can be opened again when the relay closes it.
class TcpSource : public Source {
 public:
  TcpSource(int fd, std::string spec, std::string host, std::string port)
      : fd_(std::make_unique<FdSource>(fd, spec, true)), spec_(std::move(spec)),
        host_(std::move(host)), port_(std::move(port)) {}
  ReadResult read(std::span<uint8_t> buffer, std::chrono::milliseconds wait) override {
    return fd_->read(buffer, wait);
  }
  std::string describe() const override { return spec_; }
  bool reopen(std::string* why) override {
    const int fd = connect_tcp(host_, port_, why);
    if (fd < 0) return false;
    fd_ = std::make_unique<FdSource>(fd, spec_, true);
    return true;
  }

 private:
  std::unique_ptr<FdSource> fd_;
  std::string spec_, host_, port_;
};

std::unique_ptr<Source> open_tcp(const std::string& spec, const std::string& rest) {
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    fail(spec, "expected tcp:HOST:PORT");
  }
  std::string host = rest.substr(0, colon);
  const std::string port = rest.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string why;
  const int fd = connect_tcp(host, port, &why);
  if (fd < 0) fail(spec, why);
  return std::make_unique<TcpSource>(fd, spec, host, port);
}

speed_t baud_constant(long baud) {
  switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
  }
}

std::unique_ptr<Source> open_tty(const std::string& spec, const std::string& rest) {
  const auto at = rest.rfind('@');
  const std::string path = at == std::string::npos ? rest : rest.substr(0, at);
  long baud = 115200;
  if (at != std::string::npos) {
    char* end = nullptr;
    baud = std::strtol(rest.c_str() + at + 1, &end, 10);
    if (end == rest.c_str() + at + 1 || *end != '\0') fail(spec, "baud rate is not a number");
  }
  const speed_t speed = baud_constant(baud);
  if (speed == 0) {
    fail(spec, "unsupported baud rate " + std::to_string(baud) +
                   " (use 9600, 19200, 38400, 57600, 115200, 230400, 460800 or 921600)");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) fail(spec, path + ": " + std::strerror(errno));
  termios t{};
  if (::tcgetattr(fd, &t) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    fail(spec, path + " is not a terminal: " + why);
  }
  ::cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  ::cfsetispeed(&t, speed);
  ::cfsetospeed(&t, speed);
  if (::tcsetattr(fd, TCSANOW, &t) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    fail(spec, "cannot set raw mode: " + why);
  }
  return std::make_unique<FdSource>(fd, spec, true);
}

}  // namespace

std::unique_ptr<Source> fd_source(int fd, std::string name) {
  return std::make_unique<FdSource>(fd, std::move(name), true);
}

std::unique_ptr<Source> open_source(const std::string& spec) {
  if (spec.empty()) fail(spec, "empty source");
  if (spec == "-") return std::make_unique<FdSource>(STDIN_FILENO, "stdin", false);
  if (spec.rfind("tcp:", 0) == 0) return open_tcp(spec, spec.substr(4));
  if (spec.rfind("tty:", 0) == 0) return open_tty(spec, spec.substr(4));
  const int fd = ::open(spec.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(spec, std::strerror(errno));
  return std::make_unique<FdSource>(fd, spec, true);
}

}  // namespace nestrr::eventlog
