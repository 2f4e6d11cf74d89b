// GET /api/candles latency for 10,000 bars (issue 16's goal: within 50 ms): writes one symbol's
// ticks into a fresh data folder through the SQLite clean store (--bars one-minute bars of
// --ticks-per-bar ticks each, with volumes, so the bars and the signal replay have real work),
// starts the dashboard server in-process over it and times --requests GET /api/candles?limit=
// <bars> over one keep-alive connection from 127.0.0.1; prints p50/p95/max and the answer's size.
//
//   ./build/bench/stockpipe_http_candles_bench --bars 10000 --ticks-per-bar 3 --requests 50
#include <fmt/format.h>
#include <httplib.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <vector>

#include "serve/dashboard.h"
#include "serve/http_server.h"
#include "store/sqlite/sqlite_clean_store.h"

using namespace stockpipe;

int main(int argc, char** argv) {
  CLI::App app{"/api/candles latency"};
  int bars = 10'000, ticks_per_bar = 3, requests = 50;
  app.add_option("--bars", bars, "one-minute bars of the symbol (and the request's limit)");
  app.add_option("--ticks-per-bar", ticks_per_bar, "ticks in each bar");
  app.add_option("--requests", requests, "timed requests");
  CLI11_PARSE(app, argc, argv);

  const auto temp = std::filesystem::temp_directory_path() /
                    fmt::format("stockpipe-candles-bench-{}", ::getpid());
  std::filesystem::create_directories(temp / "data");
  Config config;
  config.data_dir = (temp / "data").string();
  config.serve.http = "127.0.0.1:0";
  {
    auto store = SqliteCleanStore::Open(config.data_dir + "/clean.db", sqlite::Sync::kNormal,
                                        config.candles.intervals);
    if (!store) {
      fmt::print(stderr, "{}\n", store.error());
      return 1;
    }
    std::mt19937 random(1);
    std::vector<Tick> batch;
    double price = 100;
    const Micros start = BarStart(NowMicros(), 60'000'000) - Micros{bars} * 60'000'000;
    for (int b = 0; b < bars; ++b) {
      for (int k = 0; k < ticks_per_bar; ++k) {
        Tick tick;
        tick.symbol = "BENCH";
        tick.timestamp = start + Micros{b} * 60'000'000 + Micros{k} * 60'000'000 / ticks_per_bar;
        price = std::max(1.0, price * (1 + (static_cast<double>(random() % 2001) - 1000) / 1e6));
        tick.price = price;
        tick.volume = static_cast<double>(random() % 500 + 1);
        batch.push_back(tick);
      }
      if (batch.size() >= 20'000 || b + 1 == bars) {
        if (Status s = (*store)->Upsert(batch); !s.ok()) {
          fmt::print(stderr, "{}\n", s.message());
          return 1;
        }
        batch.clear();
      }
    }
  }

  // The document alone, without HTTP: what the dashboard spends on it.
  std::vector<double> direct;
  double cpu_ms = 0;  // CPU time per document: what the figure is on an idle machine
  {
    auto dashboard = serve::Dashboard::Open(config);
    if (!dashboard) {
      fmt::print(stderr, "{}\n", dashboard.error());
      return 1;
    }
    serve::CandlesRequest request{"BENCH", "1m", std::nullopt, std::nullopt,
                                  static_cast<std::size_t>(bars)};
    const auto cpu = [] {
      rusage usage{};
      ::getrusage(RUSAGE_THREAD, &usage);
      return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
             (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
    };
    double cpu_start = 0;
    for (int i = 0; i < requests + 3; ++i) {
      if (i == 3) cpu_start = cpu();
      const auto t0 = std::chrono::steady_clock::now();
      auto doc = (*dashboard)->Candles(request);
      const auto t1 = std::chrono::steady_clock::now();
      if (!std::holds_alternative<std::string>(doc)) {
        fmt::print(stderr, "Candles failed: {}\n", std::get<serve::ApiError>(doc).message);
        return 1;
      }
      if (i >= 3) direct.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    cpu_ms = (cpu() - cpu_start) / requests;
    std::sort(direct.begin(), direct.end());
  }

  auto server = serve::HttpServer::Start(config, serve::HttpServerOptions::From(config));
  if (!server) {
    fmt::print(stderr, "{}\n", server.error());
    return 1;
  }
  httplib::Client client("127.0.0.1", (*server)->port());
  client.set_keep_alive(true);
  const std::string path = fmt::format("/api/candles?symbol=BENCH&interval=1m&limit={}", bars);
  std::vector<double> ms;
  std::size_t size = 0, signals = 0;
  for (int i = 0; i < requests + 3; ++i) {  // the first three warm the caches
    const auto t0 = std::chrono::steady_clock::now();
    auto r = client.Get(path);
    const auto t1 = std::chrono::steady_clock::now();
    if (!r || r->status != 200) {
      fmt::print(stderr, "request failed: {}\n", r ? r->body : httplib::to_string(r.error()));
      return 1;
    }
    size = r->body.size();
    signals = 0;
    for (std::size_t at = 0; (at = r->body.find("\"action\"", at)) != std::string::npos; ++at) {
      ++signals;
    }
    if (i >= 3) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) { return ms[std::min(ms.size() - 1, std::size_t(q * ms.size()))]; };
  fmt::print(
      "{} bars ({} ticks, {} signals), {} bytes: p50 {:.1f} ms, p95 {:.1f} ms, max {:.1f} ms\n",
      bars, bars * ticks_per_bar, signals, size, at(0.5), at(0.95), ms.back());
  ms = direct;
  fmt::print(
      "  of which Dashboard::Candles: p50 {:.1f} ms, p95 {:.1f} ms, max {:.1f} ms; CPU {:.1f} ms "
      "per document\n",
      at(0.5), at(0.95), ms.back(), cpu_ms);
  (*server).reset();
  std::filesystem::remove_all(temp);
  return 0;
}
