// HttpRoutes: what the dashboard answers, request by request, without the transport (the
// transport is serve/http_server.cc). Private to stockpipe_serve.
//
// - Handle runs the gate (Host check, token, path, method) and then the route's handler. It
//   blocks: it reads the stores and /api/query runs SQL for up to `query_timeout`, so the
//   transport calls it on a worker thread, never on the thread that reads sockets.
// - Every answer carries the security headers and is counted for /metrics by route label.
// - Thread-safe: any number of Handle calls at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/dashboard.h"
#include "serve/event_stream.h"
#include "serve/http_server.h"
#include "serve/params.h"

namespace stockpipe::serve {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // GET, HEAD, POST, ...
  std::string path;    // percent-decoded, without the query string
  QueryParams params;  // the query string, then an application/x-www-form-urlencoded body
  HttpHeaders headers;
  std::string body;

  // The first header of that name (any case), or "".
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  bool HasParam(std::string_view name) const { return params.contains(std::string(name)); }
  std::string Param(std::string_view name) const;  // the first one given, or ""
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  HttpHeaders headers;
  bool event_stream = false;  // /api/events accepted: the transport writes the events

  void SetHeader(std::string_view name, std::string value);  // replaces
  bool HasHeader(std::string_view name) const;
};

class HttpRoutes {
 public:
  HttpRoutes(Config config, HttpServerOptions options, Dashboard& dashboard);

  HttpResponse Handle(const HttpRequest& req);

  // An answer the transport makes itself (a request it could not read, one too large), with the
  // headers and the count every answer gets; `path` may be empty when it is not known.
  HttpResponse Error(std::string_view path, int status, std::string_view code,
                     std::string_view message);

  // After Handle answered `event_stream`: the events of that client. StreamEnded when it is over
  // (the count of open streams is what makes the next one 503 busy).
  std::unique_ptr<EventStream> NewEventStream();
  void StreamEnded();

  // Connections the transport refused (over a bound), for /metrics.
  void CountRefused(bool per_client);
  void SetOpenConnections(std::size_t open) { open_connections_ = open; }

 private:
  HttpResponse Answer(const HttpRequest& req);
  bool Gate(const HttpRequest& req, HttpResponse& res);
  void Finish(std::string_view path, HttpResponse& res);
  void ServeAsset(const HttpRequest& req, HttpResponse& res);
  void Series(const HttpRequest& req, HttpResponse& res);
  void Candles(const HttpRequest& req, HttpResponse& res);
  void Alerts(const HttpRequest& req, HttpResponse& res);
  void Query(const HttpRequest& req, HttpResponse& res);
  void Events(HttpResponse& res);
  void Healthz(HttpResponse& res);
  void Metrics(HttpResponse& res);

  Config config_;
  HttpServerOptions options_;
  Dashboard& dashboard_;
  IngestRate rate_;

  std::mutex mu_;  // guards the counts and streams_
  std::map<std::pair<std::string, int>, std::uint64_t> counts_;
  std::size_t streams_ = 0;
  std::uint64_t refused_per_client_ = 0, refused_total_ = 0;
  std::atomic<std::size_t> open_connections_{0};
};

}  // namespace stockpipe::serve
