// Test helper: a webhook receiver on 127.0.0.1 (cpp-httplib) that fails on purpose.
//
// It answers 500 to its first `fail_first` POSTs and 204 after, and keeps each body it accepted
// (parsed as JSON) and its path. Requests are recorded inside the handler, before the answer, so
// a client whose request returned finds it recorded.
#pragma once

#include <fmt/format.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace stockpipe::testing {

class WebhookSink {
 public:
  explicit WebhookSink(int fail_first) : fail_first_(fail_first) {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      ++requests_;
      if (requests_ <= fail_first_) {
        res.status = 500;
        res.set_content("failing on purpose", "text/plain");
        return;
      }
      paths_.push_back(req.path);
      accepted_.push_back(nlohmann::json::parse(req.body, nullptr, false));
      res.status = 204;
    });
    server_.Get("/_ready",
                [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("webhook sink: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port already listens: this waits in the backlog until the accept loop runs,
    // after which stop() is sure to reach a running server.
    httplib::Client probe("127.0.0.1", port_);
    if (!probe.Get("/_ready")) throw std::runtime_error("webhook sink did not answer");
  }
  ~WebhookSink() {
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string url(std::string_view path) const {
    return fmt::format("http://127.0.0.1:{}{}", port_, path);
  }
  int requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<nlohmann::json> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<std::string> paths() {
    std::lock_guard lock(mutex_);
    return paths_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  const int fail_first_;
  std::mutex mutex_;
  int requests_ = 0;
  std::vector<nlohmann::json> accepted_;
  std::vector<std::string> paths_;
};

}  // namespace stockpipe::testing
