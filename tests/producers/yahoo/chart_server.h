// Test helper: a Yahoo chart API on 127.0.0.1 (cpp-httplib, inside the test) that answers
// `GET /v8/finance/chart/{SYMBOL}` from a script per symbol: a list of answers (status, a file of
// tests/producers/yahoo/data/ or a literal body, extra headers), the last one repeating. It
// records each request (symbol, query, User-Agent) so tests can count retries.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "support/loopback_http.h"

namespace stockpipe::testing {

inline std::filesystem::path YahooData(const std::string& name) {
  return std::filesystem::path(STOCKPIPE_TESTS_DIR) / "producers" / "yahoo" / "data" / name;
}

inline std::string YahooFile(const std::string& name) {
  std::ifstream in(YahooData(name), std::ios::binary);
  EXPECT_TRUE(in) << "missing test data " << YahooData(name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Answer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

inline Answer FileAnswer(const std::string& name, int status = 200) {
  return {status, YahooFile(name), {}};
}

struct SeenRequest {
  std::string symbol;
  std::string interval, range;
  std::string user_agent;
};

class ChartServer {
 public:
  ChartServer() {
    http_.server().Get(
        R"(/v8/finance/chart/([^/]+))",
        [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    http_.Start();
  }

  std::string endpoint() const { return http_.url(); }

  void Script(const std::string& symbol, std::vector<Answer> answers) {
    std::lock_guard lock(mu_);
    scripts_[symbol] = std::move(answers);
    next_[symbol] = 0;
  }

  std::vector<SeenRequest> Seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  int CountFor(const std::string& symbol) const {
    int n = 0;
    for (const auto& r : Seen()) n += r.symbol == symbol;
    return n;
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    const std::string symbol = req.matches[1];
    seen_.push_back({symbol, req.get_param_value("interval"), req.get_param_value("range"),
                     req.get_header_value("User-Agent")});
    auto it = scripts_.find(symbol);
    if (it == scripts_.end() || it->second.empty()) {
      res.status = 404;
      res.set_content(YahooFile("not_found.json"), "application/json");
      return;
    }
    std::size_t& next = next_[symbol];
    const Answer& a = it->second[std::min(next, it->second.size() - 1)];
    ++next;
    res.status = a.status;
    for (const auto& [k, v] : a.headers) res.set_header(k, v);
    res.set_content(a.body, "application/json");
  }

  mutable std::mutex mu_;
  std::map<std::string, std::vector<Answer>> scripts_;
  std::map<std::string, std::size_t> next_;
  std::vector<SeenRequest> seen_;
  LoopbackHttp http_;
};

}  // namespace stockpipe::testing

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace stockpipe::testing {

// Routes spdlog's default logger into a string for the object's life (messages only).
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }
  int Count(const std::string& needle) const {
    const std::string t = text();
    int n = 0;
    for (std::size_t at = t.find(needle); at != std::string::npos; at = t.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace stockpipe::testing
