#include "serve/http_routes.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <nlohmann/json.hpp>

#include "serve/access.h"
#include "serve/assets.h"
#include "serve/process_metrics.h"
#include "serve/query_api.h"

namespace stockpipe::serve {
namespace {

using nlohmann::json;

constexpr std::string_view kTokenCookie = "stockpipe_token";
constexpr std::string_view kJson = "application/json";

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// The paths served and the methods each takes (HEAD goes with GET).
struct Route {
  std::string_view path;
  bool post = false;
};
constexpr Route kRoutes[] = {
    {"/"},           {"/api/symbols"},     {"/api/series"}, {"/api/candles"}, {"/api/alerts"},
    {"/api/status"}, {"/api/query", true}, {"/api/events"}, {"/metrics"},     {"/healthz"}};

const Route* FindRoute(std::string_view path) {
  for (const Route& route : kRoutes) {
    if (route.path == path) return &route;
  }
  if (path.starts_with("/assets/")) {
    static constexpr Route kAsset{"/assets/"};
    return &kAsset;
  }
  return nullptr;
}

// The `path` label of /metrics: a route, never the raw path (a scan of random URLs must not
// grow the metric without bound).
std::string_view RouteLabel(std::string_view path) {
  const Route* route = FindRoute(path);
  if (!route) return "other";
  return route->path == "/assets/" ? "/assets" : route->path;
}

std::string Dump(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

void SendError(HttpResponse& res, int status, std::string_view code, std::string_view message) {
  res.status = status;
  res.SetHeader("Cache-Control", "no-store");
  res.body = Dump({{"error", code}, {"message", message}});
  res.content_type = kJson;
}

void Send(HttpResponse& res, ApiResult<std::string> result) {
  if (auto* error = std::get_if<ApiError>(&result)) {
    SendError(res, error->http_status, error->code, error->message);
    return;
  }
  res.status = 200;
  res.SetHeader("Cache-Control", "no-store");
  res.body = std::move(std::get<std::string>(result));
  res.content_type = kJson;
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (SameName(key, name)) return value;
  }
  return {};
}

bool HttpRequest::HasHeader(std::string_view name) const {
  for (const auto& header : headers) {
    if (SameName(header.first, name)) return true;
  }
  return false;
}

std::string HttpRequest::Param(std::string_view name) const {
  const auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

void HttpResponse::SetHeader(std::string_view name, std::string value) {
  for (auto& header : headers) {
    if (SameName(header.first, name)) {
      header.second = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
}

bool HttpResponse::HasHeader(std::string_view name) const {
  for (const auto& header : headers) {
    if (SameName(header.first, name)) return true;
  }
  return false;
}

HttpRoutes::HttpRoutes(Config config, HttpServerOptions options, Dashboard& dashboard)
    : config_(std::move(config)), options_(std::move(options)), dashboard_(dashboard) {}

HttpResponse HttpRoutes::Handle(const HttpRequest& req) {
  HttpResponse res;
  try {
    res = Answer(req);
  } catch (const std::exception& e) {
    spdlog::error("serve: {} {}: {}", req.method, req.path, e.what());
    res = HttpResponse{};
    SendError(res, 500, "internal", e.what());
  }
  Finish(req.path, res);
  // The path only: a query string may hold the token.
  spdlog::debug("serve: {} {} {}", req.method, req.path, res.status);
  return res;
}

HttpResponse HttpRoutes::Error(std::string_view path, int status, std::string_view code,
                               std::string_view message) {
  HttpResponse res;
  SendError(res, status, code, message);
  Finish(path, res);
  return res;
}

HttpResponse HttpRoutes::Answer(const HttpRequest& req) {
  HttpResponse res;
  if (!Gate(req, res)) return res;
  const std::string& path = req.path;
  if (path == "/" || path.starts_with("/assets/")) {
    ServeAsset(req, res);
  } else if (path == "/api/symbols") {
    Send(res, dashboard_.Symbols());
  } else if (path == "/api/series") {
    Series(req, res);
  } else if (path == "/api/candles") {
    Candles(req, res);
  } else if (path == "/api/alerts") {
    Alerts(req, res);
  } else if (path == "/api/status") {
    const Micros now = NowMicros();
    Send(res, dashboard_.Status(now, rate_.Since(dashboard_, now)));
  } else if (path == "/api/query") {
    Query(req, res);
  } else if (path == "/api/events") {
    Events(res);
  } else if (path == "/metrics") {
    Metrics(res);
  } else if (path == "/healthz") {
    Healthz(res);
  }
  return res;
}

// Before routing: host check, token, then path and method. False: `res` is the answer.
bool HttpRoutes::Gate(const HttpRequest& req, HttpResponse& res) {
  const std::string& token = options_.token;
  if (token.empty() && req.HasHeader("Host")) {
    // Without a token the only guard is the loopback address; a page elsewhere could still make
    // a browser send requests here under its own name (DNS rebinding). Those carry its name.
    const std::string_view host = HostOnly(req.Header("Host"));
    if (!IsLoopback(host) && host != options_.listen.host) {
      SendError(res, 403, "forbidden_host",
                "the Host header must name this server's loopback address (or set "
                "STOCKPIPE_HTTP_TOKEN to serve other names)");
      return false;
    }
  }
  if (!token.empty() && req.path != "/healthz") {
    if (req.path == "/" && req.HasParam("token")) {
      if (!SameSecret(req.Param("token"), token)) {
        SendError(res, 401, "unauthorized", "the token in ?token= is wrong");
        return false;
      }
      // The cookie lets the page and its EventSource in without putting the token in URLs.
      res.status = 303;
      res.SetHeader("Location", "/");
      res.SetHeader("Cache-Control", "no-store");
      // Over HTTPS the browser must never send it back over plain HTTP.
      res.SetHeader("Set-Cookie",
                    fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", kTokenCookie, token,
                                options_.tls_cert.empty() ? "" : "; Secure"));
      return false;
    }
    bool ok = false;
    if (auto bearer = BearerToken(req.Header("Authorization"))) {
      ok = SameSecret(*bearer, token);
    } else if (auto cookie = CookieValue(req.Header("Cookie"), kTokenCookie)) {
      ok = SameSecret(*cookie, token);
    }
    if (!ok) {
      SendError(res, 401, "unauthorized",
                "this server needs its token: send 'Authorization: Bearer <token>', or open "
                "/?token=<token> once in the browser");
      return false;
    }
  }
  const Route* route = FindRoute(req.path);
  if (!route) {
    SendError(res, 404, "not_found", fmt::format("no such path: {}", req.path));
    return false;
  }
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (!get && !(route->post && req.method == "POST")) {
    res.SetHeader("Allow", route->post ? "GET, HEAD, POST" : "GET, HEAD");
    SendError(res, 405, "method_not_allowed",
              fmt::format("{} takes {}, not {}", req.path, route->post ? "GET or POST" : "GET",
                          req.method));
    return false;
  }
  return true;
}

// Every answer, before it is written: the headers every answer carries, and the count.
void HttpRoutes::Finish(std::string_view path, HttpResponse& res) {
  res.SetHeader("X-Content-Type-Options", "nosniff");
  res.SetHeader("Content-Security-Policy", "default-src 'self'");
  res.SetHeader("Referrer-Policy", "no-referrer");
  if (!res.HasHeader("Cache-Control")) res.SetHeader("Cache-Control", "no-store");
  std::lock_guard lock(mu_);
  ++counts_[{std::string(RouteLabel(path)), res.status}];
}

void HttpRoutes::ServeAsset(const HttpRequest& req, HttpResponse& res) {
  const Asset* file = FindAsset(req.path);
  if (!file) {
    SendError(res, 404, "not_found", fmt::format("no such file: {}", req.path));
    return;
  }
  // Revalidated on every load (no-cache), so a new binary's page is never mixed with an old one.
  res.SetHeader("Cache-Control", "no-cache");
  res.SetHeader("ETag", std::string(file->etag));
  if (req.Header("If-None-Match") == file->etag) {
    res.status = 304;
    return;
  }
  res.body.assign(file->bytes);
  res.content_type = file->content_type;
}

void HttpRoutes::Healthz(HttpResponse& res) {
  const Status health = dashboard_.Health();
  res.SetHeader("Cache-Control", "no-store");
  res.content_type = kJson;
  if (!health.ok()) {
    res.status = 503;
    res.body = Dump({{"status", "unavailable"}, {"message", health.message()}});
    return;
  }
  res.body = R"({"status":"ok"})";
}

void HttpRoutes::Series(const HttpRequest& req, HttpResponse& res) {
  SeriesRequest request;
  request.symbol = req.Param("symbol");
  if (request.symbol.empty()) {
    SendError(res, 400, "bad_request", "symbol: missing (e.g. /api/series?symbol=AAPL)");
    return;
  }
  for (const auto& [name, out, bound] : {std::tuple{"from", &request.from, RangeBound::kStart},
                                         std::tuple{"to", &request.to, RangeBound::kEnd}}) {
    if (!req.HasParam(name)) continue;
    auto t = ParseTimeParam(name, req.Param(name), bound);
    if (auto* error = std::get_if<ApiError>(&t)) return Send(res, std::move(*error));
    *out = std::get<Micros>(t);
  }
  if (request.from && request.to && *request.from > *request.to) {
    SendError(res, 400, "bad_request", "from: after to");
    return;
  }
  if (req.HasParam("limit")) {
    auto limit = ParseIntParam("limit", req.Param("limit"), 1, 50'000);
    if (auto* error = std::get_if<ApiError>(&limit)) return Send(res, std::move(*error));
    request.limit = static_cast<std::size_t>(std::get<std::int64_t>(limit));
  }
  Send(res, dashboard_.Series(request));
}

void HttpRoutes::Candles(const HttpRequest& req, HttpResponse& res) {
  auto request = ParseCandlesParams(req.params);
  if (auto* error = std::get_if<ApiError>(&request)) return Send(res, std::move(*error));
  Send(res, dashboard_.Candles(std::get<CandlesRequest>(request)));
}

void HttpRoutes::Alerts(const HttpRequest& req, HttpResponse& res) {
  std::size_t limit = 50;
  std::optional<std::int64_t> after;
  if (req.HasParam("limit")) {
    auto value = ParseIntParam("limit", req.Param("limit"), 1, 500);
    if (auto* error = std::get_if<ApiError>(&value)) return Send(res, std::move(*error));
    limit = static_cast<std::size_t>(std::get<std::int64_t>(value));
  }
  if (req.HasParam("after")) {
    auto value = ParseIntParam("after", req.Param("after"), 0, INT64_MAX);
    if (auto* error = std::get_if<ApiError>(&value)) return Send(res, std::move(*error));
    after = std::get<std::int64_t>(value);
  }
  Send(res, dashboard_.Alerts(limit, after));
}

void HttpRoutes::Query(const HttpRequest& req, HttpResponse& res) {
  std::string sql;
  std::int64_t limit = static_cast<std::int64_t>(options_.query_max_rows);
  // A form body (an HTML form's POST) was read into the parameters, as a query string is.
  const bool form = req.Header("Content-Type").starts_with("application/x-www-form-urlencoded");
  if (req.method == "POST" && !form) {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
      SendError(res, 400, "bad_request",
                R"(body: not a JSON object; send {"sql": "SELECT ...", "limit": 100})");
      return;
    }
    const auto it = body.find("sql");
    if (it == body.end() || !it->is_string()) {
      SendError(res, 400, "bad_request", "sql: missing or not a string");
      return;
    }
    sql = it->get<std::string>();
    if (const auto l = body.find("limit"); l != body.end()) {
      if (!l->is_number_integer() || l->get<std::int64_t>() < 1) {
        SendError(res, 400, "bad_request", "limit: must be a whole number from 1");
        return;
      }
      limit = l->get<std::int64_t>();
    }
  } else {
    if (!req.HasParam("sql") || req.Param("sql").empty()) {
      SendError(res, 400, "bad_request", "sql: missing (e.g. /api/query?sql=SHOW%20TABLES)");
      return;
    }
    sql = req.Param("sql");
    if (req.HasParam("limit")) {
      auto value = ParseIntParam("limit", req.Param("limit"), 1, INT64_MAX);
      if (auto* error = std::get_if<ApiError>(&value)) return Send(res, std::move(*error));
      limit = std::get<std::int64_t>(value);
    }
  }
  const QueryLimits limits{config_.data_dir, options_.query_timeout, options_.query_max_rows};
  Send(res, RunQueryApi(limits, sql, static_cast<std::size_t>(limit)));
}

void HttpRoutes::Events(HttpResponse& res) {
  {
    std::lock_guard lock(mu_);
    if (streams_ >= options_.max_event_streams) {
      SendError(res, 503, "busy",
                fmt::format("{} event streams are open already; close a dashboard tab",
                            options_.max_event_streams));
      return;
    }
    ++streams_;
  }
  res.status = 200;
  res.content_type = "text/event-stream";
  res.SetHeader("Cache-Control", "no-store");
  res.event_stream = true;
}

std::unique_ptr<EventStream> HttpRoutes::NewEventStream() {
  return std::make_unique<EventStream>(dashboard_, rate_);
}

void HttpRoutes::StreamEnded() {
  std::lock_guard lock(mu_);
  if (streams_ > 0) --streams_;
}

void HttpRoutes::CountRefused(bool per_client) {
  std::lock_guard lock(mu_);
  ++(per_client ? refused_per_client_ : refused_total_);
}

void HttpRoutes::Metrics(HttpResponse& res) {
  auto text = dashboard_.Metrics(NowMicros());
  if (auto* error = std::get_if<ApiError>(&text)) {
    SendError(res, error->http_status, error->code, error->message);
    return;
  }
  std::string out = std::move(std::get<std::string>(text));
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += BuildInfoText();
  out += ProcessMetricsText();
  out +=
      "# HELP stockpipe_http_requests_total HTTP requests answered, by route and status code.\n"
      "# TYPE stockpipe_http_requests_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [key, count] : counts_) {
    out += fmt::format("stockpipe_http_requests_total{{path=\"{}\",code=\"{}\"}} {}\n", key.first,
                       key.second, count);
  }
  out += fmt::format(
      "# HELP stockpipe_http_connections_open HTTP connections open now.\n"
      "# TYPE stockpipe_http_connections_open gauge\n"
      "stockpipe_http_connections_open {}\n"
      "# HELP stockpipe_http_connections_refused_total Connections refused (503 busy, closed) "
      "over a bound: per client address or in total.\n"
      "# TYPE stockpipe_http_connections_refused_total counter\n"
      "stockpipe_http_connections_refused_total{{bound=\"per_client\"}} {}\n"
      "stockpipe_http_connections_refused_total{{bound=\"total\"}} {}\n",
      open_connections_.load(), refused_per_client_, refused_total_);
  res.SetHeader("Cache-Control", "no-store");
  res.body = std::move(out);
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
}

}  // namespace stockpipe::serve
