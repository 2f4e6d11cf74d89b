// HttpServer: `stockpipe serve` — the dashboard page, its JSON API, server-sent events and
// /metrics, over cpp-httplib, for one data folder (the contract is docs/dashboard.md).
//
// Guarantees:
// - Read-only: every answer comes from serve::Dashboard or the read-only SQL engine.
// - Loopback by default. `CheckExposure` refuses any other address unless remote access is
//   asked for *and* a token is configured; with a token every path but /healthz needs it
//   (Bearer header or the cookie `/?token=` sets), compared in constant time, never logged.
//   Without a token, requests must name a loopback host (DNS rebinding cannot reach the API).
// - Every error is JSON `{"error": ..., "message": ...}` with a 4xx/5xx status.
// - `Stop` (and the destructor) returns promptly even with event streams open: each stream
//   waits on the server's stop signal, not on a timer.
// - Process-wide: SIGPIPE is ignored once a server starts (a client that goes away mid-answer
//   must not kill the process).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/result.h"
#include "serve/access.h"

namespace stockpipe::serve {

struct HttpServerOptions {
  HostPort listen{"127.0.0.1", 8080};
  std::string token;  // empty: no token asked
  std::chrono::milliseconds query_timeout{10'000};
  std::size_t query_max_rows = 1'000;
  std::chrono::milliseconds status_every{1'000};       // SSE `status` period
  std::chrono::milliseconds keep_alive_every{15'000};  // SSE comment when nothing else was sent
  std::size_t max_event_streams = 8;                   // more get 503: threads stay for the API

  // From `[serve]` (address, token, query limits); `config.serve.http` must parse.
  static HttpServerOptions From(const Config& config);
};

class HttpServer {
 public:
  // Opens the data folder's dashboard, binds `options.listen` (port 0: a free one), serves on its
  // own threads and logs `serve: dashboard at http://HOST:PORT/`. Fails when the address cannot
  // be bound (in use, not local), naming it. Does not check exposure: see CheckExposure.
  static Result<std::unique_ptr<HttpServer>> Start(const Config& config,
                                                   const HttpServerOptions& options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Ends every open event stream and stops listening; returns once no handler runs. Idempotent.
  void Stop();

  int port() const;
  std::string url() const;  // http://HOST:PORT/

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockpipe::serve
