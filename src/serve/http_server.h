// HttpServer: `stockpipe serve` — the dashboard page, its JSON API, server-sent events and
// /metrics, over Boost.Beast, for one data folder (the contract is docs/dashboard.md).
//
// Guarantees:
// - Read-only: every answer comes from serve::Dashboard or the read-only SQL engine.
// - Loopback by default. `CheckExposure` refuses any other address unless remote access is
//   asked for *and* a token is configured; with a token every path but /healthz needs it
//   (Bearer header or the cookie `/?token=` sets), compared in constant time, never logged.
//   Without a token, requests must name a loopback host (DNS rebinding cannot reach the API).
// - HTTPS when `tls_cert` and `tls_key` are set (TLS 1.2 and later; a client not speaking TLS
//   is closed at the handshake). `CheckTransport` (serve/access.h) refuses a token over plain
//   HTTP to a non-loopback address unless asked for explicitly.
// - Every error is JSON `{"error": ..., "message": ...}` with a 4xx/5xx status.
// - `Stop` (and the destructor) returns promptly even with event streams open: each stream
//   waits on the server's stop signal, not on a timer.
// - Slow and idle clients cost a socket, never a thread: one I/O thread reads and writes every
//   connection asynchronously; the handlers (which block on the stores and SQL) run on a small
//   worker pool. A request must arrive whole (head and body) within `read_timeout` of its first
//   byte, however slowly it trickles; an idle connection waits `idle_timeout` for a request; an
//   answer (or one event) must be taken by the client within `write_timeout`. Connections over
//   `max_connections_per_client` from one address, or `max_connections` in all, get
//   `503 busy` and are closed at once.
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
#include "serve/dashboard_data.h"

namespace stockpipe::serve {

struct HttpServerOptions {
  HostPort listen{"127.0.0.1", 8080};
  std::string token;  // empty: no token asked
  std::chrono::milliseconds query_timeout{10'000};
  std::size_t query_max_rows = 1'000;
  std::chrono::milliseconds status_every{1'000};       // SSE `status` period
  std::chrono::milliseconds keep_alive_every{15'000};  // SSE comment when nothing else was sent
  std::size_t max_event_streams = 8;                   // more get 503 busy

  // Slow and idle clients (docs/dashboard.md, "Limits").
  std::chrono::milliseconds read_timeout{10'000};   // one whole request, from its first byte
  std::chrono::milliseconds idle_timeout{5'000};    // waiting for a request's first byte
  std::chrono::milliseconds write_timeout{10'000};  // one answer, or one event
  std::size_t max_connections = 512;                // open at once, all clients
  std::size_t max_connections_per_client = 64;      // open at once from one IP address
  std::size_t worker_threads = 4;                   // handlers; /api/query has 2 more of its own
  std::string tls_cert, tls_key;                    // PEM files; empty: plain HTTP

  // From `[serve]` (address, token, query and client limits, TLS files); `config.serve.http`
  // must parse.
  static HttpServerOptions From(const Config& config);
};

// Whether the TLS files of `options` (if any) make a server context: Ok, or an error naming the
// setting and the file (missing, unreadable, not PEM, key not matching the certificate).
Status CheckTls(const HttpServerOptions& options);

class HttpServer {
 public:
  // Opens the dashboard over `data` (none: the data folder's), binds `options.listen` (port 0: a
  // free one), serves on its own threads and logs `serve: dashboard at http://HOST:PORT/` (https:
  // with TLS). Fails when the address cannot be bound (in use, not local) or the TLS files cannot
  // be used, naming them. Does not check exposure: see CheckExposure and CheckTransport.
  static Result<std::unique_ptr<HttpServer>> Start(const Config& config,
                                                   const HttpServerOptions& options,
                                                   std::unique_ptr<DashboardData> data = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops listening and closes every connection (open event streams included); returns once no
  // handler runs (a running /api/query finishes first). Idempotent.
  void Stop();

  int port() const;
  std::string url() const;  // http://HOST:PORT/ or https://HOST:PORT/

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockpipe::serve
