// /healthz latency while slow clients hold sockets (issue 19): starts the dashboard server
// in-process over a data folder (an empty one by default), opens --slow clients (a third
// half-open: the request line only; a third trickling a header line every 100 ms; a third idle
// keep-alive after one answered request), spread over 127.0.0.2.. (50 per address), then times
// --requests GET /healthz over one keep-alive connection from 127.0.0.1 and prints p50/p99/max.
//
//   ./build/bench/stockpipe_http_slow_clients_bench --slow 200 --requests 2000
#include <fmt/format.h>
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "serve/http_server.h"
#include "support/slow_client.h"

using namespace stockpipe;
using testing::SlowClient;

int main(int argc, char** argv) {
  CLI::App app{"/healthz latency under slow clients"};
  int slow = 200, requests = 2000;
  std::string data_dir;
  app.add_option("--slow", slow, "slow clients holding sockets");
  app.add_option("--requests", requests, "timed /healthz requests");
  app.add_option("--data-dir", data_dir, "data folder (default: an empty temporary one)");
  CLI11_PARSE(app, argc, argv);

  const auto temp =
      std::filesystem::temp_directory_path() / fmt::format("stockpipe-bench-{}", ::getpid());
  Config config;
  config.data_dir = data_dir.empty() ? (temp / "data").string() : data_dir;
  config.serve.http = "127.0.0.1:0";
  auto options = serve::HttpServerOptions::From(config);
  options.read_timeout = std::chrono::minutes(10);  // the slow clients stay for the whole run
  options.idle_timeout = std::chrono::minutes(10);
  options.max_connections = static_cast<std::size_t>(slow) + 64;
  auto server = serve::HttpServer::Start(config, options);
  if (!server) {
    fmt::print(stderr, "{}\n", server.error());
    return 1;
  }
  const int port = (*server)->port();

  std::vector<std::unique_ptr<SlowClient>> clients, trickling;
  for (int i = 0; i < slow; ++i) {
    auto c = std::make_unique<SlowClient>(port, fmt::format("127.0.0.{}", 2 + i / 50));
    if (i % 3 == 0) {
      c->Send("GET /api/status HTTP/1.1\r\n");
    } else if (i % 3 == 1) {
      c->Send("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      trickling.push_back(std::move(c));
      continue;
    } else {
      c->Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      c->ReadUntil(R"({"status":"ok"})", std::chrono::seconds(10));
    }
    clients.push_back(std::move(c));
  }
  std::atomic<bool> quit{false};
  std::thread trickle([&] {
    for (int n = 0; !quit; ++n) {
      for (auto& c : trickling) c->Send(fmt::format("X-Slow-{}: {}\r\n", n, n));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  std::vector<double> ms;
  int failed = 0;
  for (int i = 0; i < requests; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = client.Get("/healthz");
    const auto t1 = std::chrono::steady_clock::now();
    if (!r || r->status != 200) ++failed;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  quit = true;
  trickle.join();
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))];
  };
  fmt::print(
      "slow clients {} ({} trickling), /healthz x{}: p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms, "
      "failed {}\n",
      slow, trickling.size(), requests, at(0.50), at(0.99), ms.back(), failed);
  (*server)->Stop();
  std::filesystem::remove_all(temp);
  return failed == 0 ? 0 : 1;
}
