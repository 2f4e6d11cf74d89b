// Test helper: a webhook receiver on 127.0.0.1 (cpp-httplib) that fails on purpose.
//
// It answers 500 to its first `fail_first` POSTs and 204 after, and keeps each body it accepted
// (parsed as JSON) and its path. Requests are recorded inside the handler, before the answer, so
// a client whose request returned finds it recorded.
#pragma once

#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/loopback_http.h"

namespace stockpipe::testing {

class WebhookSink {
 public:
  explicit WebhookSink(int fail_first) : fail_first_(fail_first) {
    http_.server().Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
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
    http_.Start();
  }

  int port() const { return http_.port(); }
  std::string url(std::string_view path) const { return http_.url(path); }
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
  const int fail_first_;
  std::mutex mutex_;
  int requests_ = 0;
  std::vector<nlohmann::json> accepted_;
  std::vector<std::string> paths_;
  LoopbackHttp http_;
};

}  // namespace stockpipe::testing
