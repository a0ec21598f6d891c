// Wire-level client handling (connection.h).
#include "nestrr/gdbstub/connection.h"

#include "nestrr/gdbstub/transport.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace nestrr::gdbstub {

bool Connection::fill(bool block) {
  if (closed_) return false;
  if (!block) {
    pollfd p{in_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return true;
  }
  char buf[4096];
  ssize_t n;
  do {
    n = shutdown_requested() ? 0 : ::read(in_, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  for (ssize_t i = 0; i < n; ++i)
    if (auto ev = reader_.feed(static_cast<uint8_t>(buf[i]))) {
      if (ev->kind == ReaderEvent::Kind::kInterrupt)
        interrupted_ = true;
      else
        events_.push_back(std::move(*ev));
    }
  return true;
}

bool Connection::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(out_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<std::string> Connection::read_packet() {
  using K = ReaderEvent::Kind;
  for (;;) {
    while (events_.empty())
      if (!fill(true)) return std::nullopt;
    ReaderEvent ev = std::move(events_.front());
    events_.pop_front();
    switch (ev.kind) {
      case K::kPacket:
        counters_.packets++;
        if (ack_mode_ && !write_all("+")) return std::nullopt;
        return std::move(ev.payload);
      case K::kBadChecksum:
        counters_.bad_checksums++;
        if (ack_mode_ && !write_all("-")) return std::nullopt;
        break;
      case K::kOversized:
        counters_.oversized++;
        if (ack_mode_ && !write_all("+")) return std::nullopt;
        if (!send("E01")) return std::nullopt;
        break;
      default:  // stray acks
        break;
    }
  }
}

bool Connection::send(std::string_view payload) {
  using K = ReaderEvent::Kind;
  const std::string framed = frame_packet(payload);
  for (int attempt = 0;; ++attempt) {
    if (!write_all(framed)) return false;
    if (!ack_mode_) return true;
    for (;;) {
      while (events_.empty())
        if (!fill(true)) return false;
      K k = events_.front().kind;
      if (k == K::kAck) {
        events_.pop_front();
        return true;
      }
      if (k == K::kNack) {
        events_.pop_front();
        break;
      }
      return true;  // the client moved on to its next packet
    }
    counters_.resends++;
    if (attempt == 3) return true;  // give up resending; the client decides
  }
}

bool Connection::poll_interrupt() {
  fill(false);
  bool was = interrupted_;
  interrupted_ = false;
  return was;
}

}  // namespace nestrr::gdbstub
