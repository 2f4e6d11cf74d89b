#include "serve/http_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/access.h"
#include "serve/assets.h"
#include "serve/dashboard.h"
#include "serve/event_stream.h"
#include "serve/params.h"
#include "serve/query_api.h"

namespace stockpipe::serve {
namespace {

using httplib::Request;
using httplib::Response;
using nlohmann::json;

constexpr std::string_view kTokenCookie = "stockpipe_token";
constexpr std::string_view kJson = "application/json";

// The paths served and the methods each takes (HEAD goes with GET).
struct Route {
  std::string_view path;
  bool post = false;
};
constexpr Route kRoutes[] = {{"/"},           {"/api/symbols"}, {"/api/series"},
                             {"/api/alerts"}, {"/api/status"},  {"/api/query", true},
                             {"/api/events"}, {"/metrics"},     {"/healthz"}};

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

void SendError(Response& res, int status, std::string_view code, std::string_view message) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(Dump({{"error", code}, {"message", message}}), std::string(kJson));
}

void Send(Response& res, ApiResult<std::string> result) {
  if (auto* error = std::get_if<ApiError>(&result)) {
    SendError(res, error->http_status, error->code, error->message);
    return;
  }
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::move(std::get<std::string>(result)), std::string(kJson));
}

}  // namespace

HttpServerOptions HttpServerOptions::From(const Config& config) {
  HttpServerOptions options;
  if (auto listen = ParseHostPort(config.serve.http)) options.listen = *listen;
  options.token = config.serve.token;
  options.query_timeout = std::chrono::milliseconds(config.serve.query_timeout / 1000);
  options.query_max_rows = config.serve.query_max_rows;
  return options;
}

struct HttpServer::Impl {
  Config config;
  HttpServerOptions options;
  std::unique_ptr<Dashboard> dashboard;
  IngestRate rate;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> loop_ended{false};
  int port = 0;

  std::once_flag stop_once;
  std::mutex mu;  // guards stopping and streams; cv wakes the event streams
  std::condition_variable cv;
  bool stopping = false;
  std::size_t streams = 0;

  std::mutex counts_mu;
  std::map<std::pair<std::string, int>, std::uint64_t> counts;

  httplib::Server::HandlerResponse Gate(const Request& req, Response& res);
  void Finish(const Request& req, Response& res);
  void AddRoutes();
  void Series(const Request& req, Response& res);
  void Alerts(const Request& req, Response& res);
  void Query(const Request& req, Response& res);
  void Events(Response& res);
  void Metrics(Response& res);
};

// Before routing: host check, token, then path and method.
httplib::Server::HandlerResponse HttpServer::Impl::Gate(const Request& req, Response& res) {
  using R = httplib::Server::HandlerResponse;
  const std::string& token = options.token;
  if (token.empty() && req.has_header("Host")) {
    // Without a token the only guard is the loopback address; a page elsewhere could still make
    // a browser send requests here under its own name (DNS rebinding). Those carry its name.
    const std::string host_header = req.get_header_value("Host");
    const std::string_view host = HostOnly(host_header);
    if (!IsLoopback(host) && host != options.listen.host) {
      SendError(res, 403, "forbidden_host",
                "the Host header must name this server's loopback address (or set "
                "STOCKPIPE_HTTP_TOKEN to serve other names)");
      return R::Handled;
    }
  }
  if (!token.empty() && req.path != "/healthz") {
    if (req.path == "/" && req.has_param("token")) {
      if (!SameSecret(req.get_param_value("token"), token)) {
        SendError(res, 401, "unauthorized", "the token in ?token= is wrong");
        return R::Handled;
      }
      // The cookie lets the page and its EventSource in without putting the token in URLs.
      res.status = 303;
      res.set_header("Location", "/");
      res.set_header("Cache-Control", "no-store");
      res.set_header("Set-Cookie",
                     fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", kTokenCookie, token));
      return R::Handled;
    }
    bool ok = false;
    const std::string auth = req.get_header_value("Authorization");
    if (auto bearer = BearerToken(auth)) {
      ok = SameSecret(*bearer, token);
    } else if (auto cookie = CookieValue(req.get_header_value("Cookie"), kTokenCookie)) {
      ok = SameSecret(*cookie, token);
    }
    if (!ok) {
      SendError(res, 401, "unauthorized",
                "this server needs its token: send 'Authorization: Bearer <token>', or open "
                "/?token=<token> once in the browser");
      return R::Handled;
    }
  }
  const Route* route = FindRoute(req.path);
  if (!route) {
    SendError(res, 404, "not_found", fmt::format("no such path: {}", req.path));
    return R::Handled;
  }
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (!get && !(route->post && req.method == "POST")) {
    res.set_header("Allow", route->post ? "GET, HEAD, POST" : "GET, HEAD");
    SendError(res, 405, "method_not_allowed",
              fmt::format("{} takes {}, not {}", req.path, route->post ? "GET or POST" : "GET",
                          req.method));
    return R::Handled;
  }
  return R::Unhandled;
}

// After every answer, before it is written: the headers every answer carries, and the count.
void HttpServer::Impl::Finish(const Request& req, Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy", "default-src 'self'");
  res.set_header("Referrer-Policy", "no-referrer");
  if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
  std::lock_guard lock(counts_mu);
  ++counts[{std::string(RouteLabel(req.path)), res.status}];
}

void HttpServer::Impl::AddRoutes() {
  const auto asset = [](const Request& req, Response& res) {
    const Asset* file = FindAsset(req.path);
    if (!file) {
      SendError(res, 404, "not_found", fmt::format("no such file: {}", req.path));
      return;
    }
    // Revalidated on every load (no-cache), so a new binary's page is never mixed with an old one.
    res.set_header("Cache-Control", "no-cache");
    res.set_header("ETag", file->etag);
    if (req.get_header_value("If-None-Match") == file->etag) {
      res.status = 304;
      return;
    }
    res.set_content(file->bytes.data(), file->bytes.size(), std::string(file->content_type));
  };
  server.Get("/", asset);
  server.Get(R"(/assets/.*)", asset);
  server.Get("/api/symbols",
             [this](const Request&, Response& res) { Send(res, dashboard->Symbols()); });
  server.Get("/api/series", [this](const Request& req, Response& res) { Series(req, res); });
  server.Get("/api/alerts", [this](const Request& req, Response& res) { Alerts(req, res); });
  server.Get("/api/status", [this](const Request&, Response& res) {
    const Micros now = NowMicros();
    Send(res, dashboard->Status(now, rate.Since(*dashboard, now)));
  });
  server.Get("/api/query", [this](const Request& req, Response& res) { Query(req, res); });
  server.Post("/api/query", [this](const Request& req, Response& res) { Query(req, res); });
  server.Get("/api/events", [this](const Request&, Response& res) { Events(res); });
  server.Get("/metrics", [this](const Request&, Response& res) { Metrics(res); });
  server.Get("/healthz", [this](const Request&, Response& res) {
    auto look = dashboard->Look();
    res.set_header("Cache-Control", "no-store");
    if (auto* error = std::get_if<ApiError>(&look)) {
      res.status = 503;
      res.set_content(Dump({{"status", "unavailable"}, {"message", error->message}}),
                      std::string(kJson));
      return;
    }
    res.set_content(R"({"status":"ok"})", std::string(kJson));
  });

  // Answers httplib makes itself (unreadable request, body too large, URI too long) get JSON too.
  server.set_error_handler(httplib::Server::HandlerWithResponse([](const Request&, Response& res) {
    using R = httplib::Server::HandlerResponse;
    if (!res.body.empty()) return R::Unhandled;
    switch (res.status) {
      case 413:
        SendError(res, 413, "too_large",
                  fmt::format("the request body is over {} KiB", kMaxSqlBytes / 1024));
        break;
      case 414:
        SendError(res, 414, "too_large", "the URL is too long: POST /api/query for long SQL");
        break;
      case 404:
        SendError(res, 404, "not_found", "no such path");
        break;
      default:
        SendError(res, res.status, res.status >= 500 ? "internal" : "bad_request",
                  fmt::format("the request could not be read as HTTP (status {})", res.status));
    }
    return R::Handled;
  }));
  server.set_exception_handler([](const Request& req, Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("serve: {} {}: {}", req.method, req.path, what);
    SendError(res, 500, "internal", what);
  });
  server.set_pre_routing_handler(
      [this](const Request& req, Response& res) { return Gate(req, res); });
  server.set_post_routing_handler([this](const Request& req, Response& res) { Finish(req, res); });
  // The path only: a query string may hold the token.
  server.set_logger([](const Request& req, const Response& res) {
    spdlog::debug("serve: {} {} {}", req.method, req.path, res.status);
  });
}

void HttpServer::Impl::Series(const Request& req, Response& res) {
  SeriesRequest request;
  request.symbol = req.get_param_value("symbol");
  if (request.symbol.empty()) {
    SendError(res, 400, "bad_request", "symbol: missing (e.g. /api/series?symbol=AAPL)");
    return;
  }
  for (const auto& [name, out, bound] : {std::tuple{"from", &request.from, RangeBound::kStart},
                                         std::tuple{"to", &request.to, RangeBound::kEnd}}) {
    if (!req.has_param(name)) continue;
    auto t = ParseTimeParam(name, req.get_param_value(name), bound);
    if (auto* error = std::get_if<ApiError>(&t)) return Send(res, std::move(*error));
    *out = std::get<Micros>(t);
  }
  if (request.from && request.to && *request.from > *request.to) {
    SendError(res, 400, "bad_request", "from: after to");
    return;
  }
  if (req.has_param("limit")) {
    auto limit = ParseIntParam("limit", req.get_param_value("limit"), 1, 50'000);
    if (auto* error = std::get_if<ApiError>(&limit)) return Send(res, std::move(*error));
    request.limit = static_cast<std::size_t>(std::get<std::int64_t>(limit));
  }
  Send(res, dashboard->Series(request));
}

void HttpServer::Impl::Alerts(const Request& req, Response& res) {
  std::size_t limit = 50;
  std::optional<std::int64_t> after;
  if (req.has_param("limit")) {
    auto value = ParseIntParam("limit", req.get_param_value("limit"), 1, 500);
    if (auto* error = std::get_if<ApiError>(&value)) return Send(res, std::move(*error));
    limit = static_cast<std::size_t>(std::get<std::int64_t>(value));
  }
  if (req.has_param("after")) {
    auto value = ParseIntParam("after", req.get_param_value("after"), 0, INT64_MAX);
    if (auto* error = std::get_if<ApiError>(&value)) return Send(res, std::move(*error));
    after = std::get<std::int64_t>(value);
  }
  Send(res, dashboard->Alerts(limit, after));
}

void HttpServer::Impl::Query(const Request& req, Response& res) {
  std::string sql;
  std::string limit_text;
  std::int64_t limit = static_cast<std::int64_t>(options.query_max_rows);
  if (req.method == "POST") {
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
    if (!req.has_param("sql") || req.get_param_value("sql").empty()) {
      SendError(res, 400, "bad_request", "sql: missing (e.g. /api/query?sql=SHOW%20TABLES)");
      return;
    }
    sql = req.get_param_value("sql");
    if (req.has_param("limit")) {
      auto value = ParseIntParam("limit", req.get_param_value("limit"), 1, INT64_MAX);
      if (auto* error = std::get_if<ApiError>(&value)) return Send(res, std::move(*error));
      limit = std::get<std::int64_t>(value);
    }
  }
  const QueryLimits limits{config.data_dir, options.query_timeout, options.query_max_rows};
  Send(res, RunQueryApi(limits, sql, static_cast<std::size_t>(limit)));
}

// One thread per client for as long as it listens: it waits on the stop signal between ticks,
// so Stop() ends every stream at once.
void HttpServer::Impl::Events(Response& res) {
  {
    std::lock_guard lock(mu);
    if (streams >= options.max_event_streams) {
      SendError(res, 503, "busy",
                fmt::format("{} event streams are open already; close a dashboard tab",
                            options.max_event_streams));
      return;
    }
    ++streams;
  }
  struct State {
    explicit State(Impl& impl) : events(*impl.dashboard, impl.rate) {}
    EventStream events;
    std::chrono::steady_clock::time_point next = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_sent = std::chrono::steady_clock::now();
  };
  auto state = std::make_shared<State>(*this);
  res.set_header("Cache-Control", "no-store");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, state](std::size_t, httplib::DataSink& sink) {
        {
          std::unique_lock lock(mu);
          if (cv.wait_until(lock, state->next, [this] { return stopping; })) return false;
        }
        const auto now = std::chrono::steady_clock::now();
        state->next = std::max(state->next + options.status_every, now);
        std::string text = state->events.Tick(NowMicros());
        if (text.empty() && now - state->last_sent >= options.keep_alive_every) {
          text = ": keep-alive\n\n";
        }
        if (text.empty()) return true;
        state->last_sent = now;
        return sink.write(text.data(), text.size());
      },
      [this](bool) {
        std::lock_guard lock(mu);
        --streams;
      });
}

void HttpServer::Impl::Metrics(Response& res) {
  auto text = dashboard->Metrics(NowMicros());
  if (auto* error = std::get_if<ApiError>(&text)) {
    SendError(res, error->http_status, error->code, error->message);
    return;
  }
  std::string out = std::move(std::get<std::string>(text));
  if (!out.empty() && out.back() != '\n') out += '\n';
  out +=
      "# HELP stockpipe_http_requests_total HTTP requests answered, by route and status code.\n"
      "# TYPE stockpipe_http_requests_total counter\n";
  {
    std::lock_guard lock(counts_mu);
    for (const auto& [key, count] : counts) {
      out += fmt::format("stockpipe_http_requests_total{{path=\"{}\",code=\"{}\"}} {}\n", key.first,
                         key.second, count);
    }
  }
  res.set_header("Cache-Control", "no-store");
  res.set_content(out, "text/plain; version=0.0.4; charset=utf-8");
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const Config& config,
                                                      const HttpServerOptions& options) {
  // A client that goes away mid-answer makes the next write fail with EPIPE; the default action
  // of SIGPIPE would end the whole process instead.
  std::signal(SIGPIPE, SIG_IGN);
  auto dashboard = Dashboard::Open(config);
  if (!dashboard) return Status::Error(fmt::format("dashboard: {}", dashboard.error()));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = options;
  impl->dashboard = std::move(*dashboard);
  httplib::Server& server = impl->server;
  // Event streams hold a thread each; the rest stay free for the API.
  const std::size_t threads = options.max_event_streams + 8;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // An idle keep-alive connection holds its thread until this runs out, and Stop waits for it.
  server.set_keep_alive_timeout(1);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_payload_max_length(kMaxSqlBytes);
  // httplib's default adds SO_REUSEPORT, with which a second server on the same port binds too and
  // takes half the requests. SO_REUSEADDR alone still allows a restart over TIME_WAIT sockets
  // while a port in use fails to bind, as it should.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  impl->AddRoutes();

  const HostPort& listen = options.listen;
  errno = 0;
  const int port = listen.port == 0 ? server.bind_to_any_port(listen.host)
                   : server.bind_to_port(listen.host, listen.port) ? listen.port
                                                                   : -1;
  if (port <= 0) {
    const int error = errno;
    return Status::Error(fmt::format(
        "cannot listen on {}:{}: {} (another `stockpipe serve` or `run` there? choose another "
        "address with --http, or --http 127.0.0.1:0 for any free port)",
        UrlHost(listen.host), listen.port,
        error != 0 ? std::strerror(error) : "the address cannot be bound"));
  }
  impl->port = port;
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->loop_ended = true;
  });
  // Stop() is lost on a server whose loop has not begun: wait for the loop (microseconds).
  while (!server.is_running() && !raw->loop_ended) std::this_thread::yield();
  if (raw->loop_ended) {
    raw->thread.join();
    return Status::Error(fmt::format("cannot serve on {}:{}", UrlHost(listen.host), port));
  }
  std::unique_ptr<HttpServer> out(new HttpServer(std::move(impl)));
  spdlog::info("serve: dashboard at {}{}", out->url(),
               options.token.empty() ? "" : " (token required: STOCKPIPE_HTTP_TOKEN)");
  return out;
}

void HttpServer::Stop() {
  if (!impl_) return;
  std::call_once(impl_->stop_once, [this] {
    {
      std::lock_guard lock(impl_->mu);
      impl_->stopping = true;
    }
    impl_->cv.notify_all();
    impl_->server.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
  });
}

int HttpServer::port() const {
  return impl_->port;
}

std::string HttpServer::url() const {
  return fmt::format("http://{}:{}/", UrlHost(impl_->options.listen.host), impl_->port);
}

}  // namespace stockpipe::serve
