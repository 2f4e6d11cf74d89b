// Test and bench helper: a plain TCP client on loopback that sends exactly what it is told, when
// it is told (a request line and nothing more, one header line at a time, a whole request and
// then silence), from a chosen source address: Linux routes all of 127.0.0.0/8 to loopback, so
// binding 127.0.0.2, 127.0.0.3, ... makes distinct clients as a server counts them.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace stockpipe::testing {

class SlowClient {
 public:
  // Connects to 127.0.0.1:`port` from `from` (blocking; the kernel completes the handshake
  // whether or not the server has accepted yet). Throws when it cannot.
  SlowClient(int port, const std::string& from = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      throw std::runtime_error("bind " + from + ": " + std::strerror(errno));
    }
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
      throw std::runtime_error("connect: " + std::string(std::strerror(errno)));
    }
  }
  ~SlowClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  SlowClient(const SlowClient&) = delete;
  SlowClient& operator=(const SlowClient&) = delete;

  // False once the server has closed (EPIPE / reset).
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads what arrives until `done(received())` holds or the server closes or `limit` passes;
  // whether `done` held.
  template <std::invocable<const std::string&> Done>
  bool ReadUntil(Done done, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done(received_)) {
      if (closed_ || !ReadOnce(until)) return done(received_);
    }
    return true;
  }
  bool ReadUntil(std::string_view needle, std::chrono::milliseconds limit) {
    return ReadUntil([&](const std::string& r) { return r.find(needle) != std::string::npos; },
                     limit);
  }

  // Waits for the server to close the connection (end of stream or reset) within `limit`,
  // keeping what it sent before; whether it closed.
  bool WaitClosed(std::chrono::milliseconds limit) {
    ReadUntil([&](const std::string&) { return closed_; }, limit);
    return closed_;
  }

  // Whether the server has closed, without waiting.
  bool ClosedNow() {
    ReadOnce(std::chrono::steady_clock::now());
    return closed_;
  }

  const std::string& received() const { return received_; }

 private:
  // One poll and read; false when `until` passed with nothing to read.
  bool ReadOnce(std::chrono::steady_clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (ready <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return true;
    }
    received_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

}  // namespace stockpipe::testing
