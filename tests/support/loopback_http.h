// Test helper: a cpp-httplib server on 127.0.0.1, on a free port, serving on its own thread.
//
// Add routes to server() first, then Start(): it returns once the accept loop is proven to run
// (one request served: a handshake, not a sleep), so the stop() in the destructor cannot come
// before the loop and be lost. Declare it as the owner's last member, so it stops before the
// state its handlers use is destroyed.
#pragma once

#include <fmt/format.h>
#include <httplib.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace stockpipe::testing {

class LoopbackHttp {
 public:
  LoopbackHttp() = default;
  LoopbackHttp(const LoopbackHttp&) = delete;
  LoopbackHttp& operator=(const LoopbackHttp&) = delete;
  ~LoopbackHttp() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }

  httplib::Server& server() { return server_; }

  void Start() {
    server_.Get("/_ready", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("loopback http: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port already listens: this request waits in the backlog until the loop runs.
    httplib::Client probe("127.0.0.1", port_);
    const auto ready = probe.Get("/_ready");
    if (!ready || ready->status != 200) throw std::runtime_error("loopback http: no answer");
  }

  int port() const { return port_; }
  std::string url(std::string_view path = "") const {
    return fmt::format("http://127.0.0.1:{}{}", port_, path);
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace stockpipe::testing
