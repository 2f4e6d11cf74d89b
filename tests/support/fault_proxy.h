// FaultProxy: a loopback HTTP/1.1 proxy placed between an adapter and a real emulator, to inject
// the failures AWS produces in production: error answers (500, 503, throttling) and connections
// cut before or after the request reached the service.
//
// Faults are planned, not random: `Plan` lists what happens to the next requests in order, and
// `FaultEvery` damages every n-th request from then on, so a test knows exactly how many faults
// it caused. A cut after forwarding is the nasty one: the service applied the write but the
// client never heard, so only an idempotent retry keeps the data exact.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace stockpipe::testing {

struct Fault {
  enum class Kind { kPass, kRespond, kCutBeforeForward, kCutAfterForward };
  Kind kind = Kind::kPass;
  int status = 0;
  std::string body;

  static Fault Pass() { return {}; }
  static Fault Respond(int status, std::string body) {
    return {Kind::kRespond, status, std::move(body)};
  }
  static Fault ServerError() { return Respond(500, R"({"__type":"InternalFailure"})"); }
  static Fault Unavailable() { return Respond(503, R"({"__type":"ServiceUnavailable"})"); }
  // The JSON protocols' throttling answer (Kinesis, DynamoDB).
  static Fault Throttle() {
    return Respond(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");
  }
  static Fault CutBeforeForward() { return {Kind::kCutBeforeForward, 0, {}}; }
  static Fault CutAfterForward() { return {Kind::kCutAfterForward, 0, {}}; }
};

class FaultProxy {
 public:
  explicit FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listener_, 64) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("fault proxy: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FaultProxy() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mutex_);
      for (int fd : open_) shutdown(fd, SHUT_RDWR);
      workers.swap(workers_);
    }
    for (auto& worker : workers) worker.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // What happens to the next requests, in order; later requests pass (or follow FaultEvery).
  void Plan(std::vector<Fault> faults) {
    std::lock_guard lock(mutex_);
    plan_.assign(faults.begin(), faults.end());
  }
  // From now on every `n`-th request (n >= 2) meets the next fault of `cycle`, in turn.
  void FaultEvery(int n, std::vector<Fault> cycle) {
    std::lock_guard lock(mutex_);
    every_ = n;
    cycle_ = std::move(cycle);
    counted_ = 0;
  }
  void StopFaults() {
    std::lock_guard lock(mutex_);
    plan_.clear();
    every_ = 0;
  }
  // From now on Plan and FaultEvery count only the requests holding every one of `markers`
  // (an operation's target header, a table name...); the others pass. Empty: every request.
  void FaultOnly(std::vector<std::string> markers) {
    std::lock_guard lock(mutex_);
    only_ = std::move(markers);
  }

  int requests() const { return requests_; }
  int faults() const { return faults_; }

 private:
  Fault Next(const std::string& request) {
    std::lock_guard lock(mutex_);
    ++requests_;
    for (const std::string& marker : only_) {
      if (request.find(marker) == std::string::npos) return Fault::Pass();
    }
    if (!plan_.empty()) {
      Fault fault = plan_.front();
      plan_.pop_front();
      if (fault.kind != Fault::Kind::kPass) ++faults_;
      return fault;
    }
    if (every_ >= 2 && !cycle_.empty() && ++counted_ % every_ == 0) {
      ++faults_;
      return cycle_[static_cast<std::size_t>(counted_ / every_ - 1) % cycle_.size()];
    }
    return Fault::Pass();
  }

  void AcceptLoop() {
    while (!stopping_) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      std::lock_guard lock(mutex_);
      open_.push_back(client);
      workers_.emplace_back([this, client] { Serve(client); });
    }
  }

  // Reads one HTTP message (request or response) from `fd` into `out`, using `buffer` for bytes
  // read past it. False when the peer closed or broke the connection first.
  static bool ReadMessage(int fd, std::string& buffer, std::string& out, bool head_response) {
    std::size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(fd, buffer)) return false;
    }
    header_end += 4;
    std::string head = buffer.substr(0, header_end);
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t body_length = 0;
    bool chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
    if (auto at = lower.find("content-length:"); at != std::string::npos) {
      body_length = std::stoul(lower.substr(at + 15));
    }
    if (head_response) chunked = false, body_length = 0;
    if (chunked) {
      std::size_t at = header_end;
      for (;;) {
        std::size_t line_end;
        while ((line_end = buffer.find("\r\n", at)) == std::string::npos) {
          if (!Fill(fd, buffer)) return false;
        }
        const std::size_t size = std::stoul(buffer.substr(at, line_end - at), nullptr, 16);
        const std::size_t next = line_end + 2 + size + 2;
        while (buffer.size() < next) {
          if (!Fill(fd, buffer)) return false;
        }
        at = next;
        if (size == 0) break;
      }
      out = buffer.substr(0, at);
      buffer.erase(0, at);
      return true;
    }
    while (buffer.size() < header_end + body_length) {
      if (!Fill(fd, buffer)) return false;
    }
    out = buffer.substr(0, header_end + body_length);
    buffer.erase(0, header_end + body_length);
    return true;
  }

  static bool Fill(int fd, std::string& buffer) {
    char chunk[65536];
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  static bool WriteAll(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  std::optional<std::string> Forward(const std::string& request) {
    const int upstream = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
    std::optional<std::string> response;
    std::string buffer, message;
    if (connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        WriteAll(upstream, request) &&
        ReadMessage(upstream, buffer, message, request.starts_with("HEAD "))) {
      response = std::move(message);
    }
    close(upstream);
    return response;
  }

  void Serve(int client) {
    std::string buffer, request;
    while (ReadMessage(client, buffer, request, false)) {
      const Fault fault = Next(request);
      if (fault.kind == Fault::Kind::kCutBeforeForward) break;
      if (fault.kind == Fault::Kind::kRespond) {
        const std::string answer = "HTTP/1.1 " + std::to_string(fault.status) +
                                   " Injected\r\nContent-Type: application/json\r\n"
                                   "Content-Length: " +
                                   std::to_string(fault.body.size()) + "\r\n\r\n" + fault.body;
        if (!WriteAll(client, answer)) break;
        continue;
      }
      const auto response = Forward(request);
      if (!response || fault.kind == Fault::Kind::kCutAfterForward) break;
      if (!WriteAll(client, *response)) break;
    }
    shutdown(client, SHUT_RDWR);
    std::lock_guard lock(mutex_);
    std::erase(open_, client);
    close(client);
  }

  int upstream_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> workers_;
  std::deque<Fault> plan_;
  std::vector<std::string> only_;
  int every_ = 0;
  std::vector<Fault> cycle_;
  int counted_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> faults_{0};
};

}  // namespace stockpipe::testing
