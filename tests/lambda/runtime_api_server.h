// A Lambda Runtime API inside the test process.
//
// There is no Lambda Runtime Interface Emulator on these machines, so this small cpp-httplib
// server speaks the documented API (2018-06-01) itself: `GET /runtime/invocation/next` blocks until
// the test enqueues an event and answers it with the `Lambda-Runtime-*` headers; the runtime's
// `POST .../invocation/<id>/response`, `.../invocation/<id>/error` and `/runtime/init/error` are
// captured with their bodies and `Lambda-Runtime-Function-Error-Type` header. Listens on a free
// port of 127.0.0.1; tests wait on its condition variable with a deadline, never by sleeping.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace stockpipe::testing {

struct Invocation {
  std::string request_id;
  std::string event;
  std::int64_t deadline_ms = 0;
  std::string function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:stockpipe-test";
  std::string trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
};

// What the runtime posted back.
struct Posted {
  enum class Kind { kResponse, kError, kInitError } kind = Kind::kResponse;
  std::string request_id;  // empty for init errors
  std::string body;
  std::string error_type;  // the Lambda-Runtime-Function-Error-Type header
};

inline std::int64_t EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RuntimeApiServer {
 public:
  RuntimeApiServer() {
    server_.Get("/2018-06-01/runtime/invocation/next",
                [this](const httplib::Request&, httplib::Response& res) { Next(res); });
    server_.Post(
        R"(/2018-06-01/runtime/invocation/([^/]+)/(response|error))",
        [this](const httplib::Request& req, httplib::Response& res) {
          Capture(req.matches[2] == "response" ? Posted::Kind::kResponse : Posted::Kind::kError,
                  req.matches[1], req, res);
        });
    server_.Post("/2018-06-01/runtime/init/error",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   Capture(Posted::Kind::kInitError, "", req, res);
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("Runtime API server: cannot bind 127.0.0.1");
    server_.Get("/_ready", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ready", "text/plain");
    });
    // bind_to_any_port already listens, so this first request waits in the backlog until the
    // accept loop runs; once it is answered, stop() is sure to reach a running server.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    httplib::Client probe("127.0.0.1", port_);
    if (!probe.Get("/_ready")) {
      server_.stop();
      thread_.join();
      throw std::runtime_error("Runtime API server did not start");
    }
  }
  ~RuntimeApiServer() { Stop(); }

  // "127.0.0.1:<port>", what AWS_LAMBDA_RUNTIME_API holds.
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Queues an invocation; `id` defaults to a fresh one. Returns the request id.
  std::string Enqueue(std::string event, std::string id = "", std::int64_t timeout_ms = 60'000) {
    std::lock_guard lock(mutex_);
    Invocation inv;
    inv.request_id = id.empty() ? "req-" + std::to_string(++issued_) : std::move(id);
    inv.event = std::move(event);
    inv.deadline_ms = EpochMs() + timeout_ms;
    pending_.push_back(inv);
    changed_.notify_all();
    return inv.request_id;
  }
  void Enqueue(Invocation inv) {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(inv));
    changed_.notify_all();
  }

  // Waits until `n` invocations were answered (response or error) or `timeout` passed.
  std::vector<Posted> WaitForResults(std::size_t n,
                                     std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return results_.size() >= n; });
    return results_;
  }

  std::optional<Posted> WaitForInitError(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return init_error_.has_value(); });
    return init_error_;
  }

  std::size_t next_calls() const {
    std::lock_guard lock(mutex_);
    return next_calls_;
  }

  // Wakes a runtime blocked in `next` with HTTP 500 and closes the server.
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      changed_.notify_all();
    }
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Next(httplib::Response& res) {
    std::unique_lock lock(mutex_);
    ++next_calls_;
    changed_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) {
      res.status = 500;
      res.set_content(R"({"errorMessage":"test server stopping"})", "application/json");
      return;
    }
    Invocation inv = std::move(pending_.front());
    pending_.pop_front();
    res.set_header("Lambda-Runtime-Aws-Request-Id", inv.request_id);
    res.set_header("Lambda-Runtime-Deadline-Ms", std::to_string(inv.deadline_ms));
    res.set_header("Lambda-Runtime-Invoked-Function-Arn", inv.function_arn);
    res.set_header("Lambda-Runtime-Trace-Id", inv.trace_id);
    res.set_content(inv.event, "application/json");
  }

  void Capture(Posted::Kind kind, std::string id, const httplib::Request& req,
               httplib::Response& res) {
    Posted posted{kind, std::move(id), req.body,
                  req.get_header_value("Lambda-Runtime-Function-Error-Type")};
    std::lock_guard lock(mutex_);
    if (kind == Posted::Kind::kInitError) {
      init_error_ = std::move(posted);
    } else {
      results_.push_back(std::move(posted));
    }
    res.status = 202;
    res.set_content(R"({"status":"OK"})", "application/json");
    changed_.notify_all();
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Invocation> pending_;
  std::vector<Posted> results_;
  std::optional<Posted> init_error_;
  std::size_t issued_ = 0;
  std::size_t next_calls_ = 0;
  bool stopping_ = false;
};

}  // namespace stockpipe::testing
