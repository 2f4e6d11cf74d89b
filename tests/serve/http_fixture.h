// Test helpers for the HTTP server: a data folder written by the real pipeline (the binary, as a
// user runs it), a server started in-process on 127.0.0.1:0 over it, and an SSE reader.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/subprocess.h"
#include "serve/http_server.h"

namespace stockpipe::testing {

using nlohmann::json;

// A steady rise of 0.2 % a minute: the PCT + SMA rule says SELL from its 21st point on.
inline std::string RisingSeries(const std::string& symbol, int count, long start_epoch) {
  std::string out;
  double price = 100;
  for (int i = 0; i < count; ++i) {
    out += fmt::format(R"({{"symbol":"{}","timestamp":{},"price":{}}})", symbol,
                       start_epoch + 60 * i, price);
    out += "\n";
    price *= 1.002;
  }
  return out;
}

// A data folder the pipeline filled: synthetic ticks (seed 1), a rising ZZUP series, ingested
// once, and one trends run (which alerts ZZUP:SELL).
class PipelineData {
 public:
  PipelineData() {
    Run({"produce", "synthetic", "--count", "600", "--rate", "max", "--seed", "1"});
    Run({"produce", "file", "-"}, RisingSeries("ZZUP", 60, 1'767'607'200));
    Run({"ingest", "--once"});
    Run({"trends", "--once", "--lang", "en"});
  }

  ProcessResult Run(std::vector<std::string> args, std::string stdin_text = "") {
    args.insert(args.begin(), {"--data-dir", data()});
    auto r = RunStockpipe(args, {.cwd = dir_.path(), .stdin_text = std::move(stdin_text)});
    EXPECT_EQ(r.exit_code, 0) << fmt::format("{}", fmt::join(args, " ")) << "\n" << r.err;
    return r;
  }

  std::string data() const { return (dir_.path() / "data").string(); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  Config MakeConfig() const {
    Config config;
    config.data_dir = data();
    config.serve.http = "127.0.0.1:0";
    return config;
  }

 private:
  TempDir dir_;
};

inline std::unique_ptr<serve::HttpServer> StartServer(const Config& config) {
  auto server = serve::HttpServer::Start(config, serve::HttpServerOptions::From(config));
  if (!server) {
    ADD_FAILURE() << server.error();
    return nullptr;
  }
  return std::move(*server);
}

inline json Body(const httplib::Result& r) {
  if (!r) {
    ADD_FAILURE() << "no answer: " << httplib::to_string(r.error());
    return json();
  }
  json doc = json::parse(r->body, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << r->body.substr(0, 300);
  return doc;
}

// Reads /api/events on its own thread and queues each event as it arrives.
class EventReader {
 public:
  struct Event {
    std::string name;
    std::string data;
  };

  EventReader(int port, httplib::Headers headers = {})
      : client_(std::make_unique<httplib::Client>("127.0.0.1", port)) {
    client_->set_read_timeout(std::chrono::seconds(30));
    thread_ = std::thread([this, headers] {
      auto r = client_->Get("/api/events", headers, [this](const char* data, std::size_t n) {
        std::lock_guard lock(mu_);
        buffer_.append(data, n);
        for (std::size_t end; (end = buffer_.find("\n\n")) != std::string::npos;) {
          Parse(buffer_.substr(0, end));
          buffer_.erase(0, end + 2);
        }
        cv_.notify_all();
        return !quit_;
      });
      std::lock_guard lock(mu_);
      ended_ = true;
      status_ = r ? r->status : -1;
      cv_.notify_all();
    });
  }
  ~EventReader() {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    // The reader notices `quit_` at the next event (one a second); stop() ends it at once.
    client_->stop();
    thread_.join();
  }

  // Waits (bounded: only a hung server makes it time out) for the next event that `match` accepts;
  // events before it are consumed.
  template <typename Match>
  std::optional<Event> WaitFor(Match match, std::chrono::seconds limit = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    const auto until = std::chrono::steady_clock::now() + limit;
    while (true) {
      while (!events_.empty()) {
        Event e = std::move(events_.front());
        events_.pop_front();
        if (match(e)) return e;
      }
      if (ended_ || cv_.wait_until(lock, until) == std::cv_status::timeout) return std::nullopt;
    }
  }

  // Waits (bounded) for the stream to end; its HTTP status, or nullopt.
  std::optional<int> WaitEnded(std::chrono::seconds limit) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, limit, [this] { return ended_; })) return std::nullopt;
    return status_;
  }

 private:
  void Parse(const std::string& block) {
    Event e;
    std::istringstream in(block);
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("event: ")) e.name = line.substr(7);
      if (line.starts_with("data: ")) e.data += (e.data.empty() ? "" : "\n") + line.substr(6);
    }
    if (!e.name.empty()) events_.push_back(std::move(e));
  }

  std::unique_ptr<httplib::Client> client_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buffer_;
  std::deque<Event> events_;
  bool quit_ = false, ended_ = false;
  int status_ = 0;
};

}  // namespace stockpipe::testing
