#include "serve/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <csignal>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <type_traits>

#include "serve/access.h"
#include "serve/dashboard.h"
#include "serve/dashboard_data.h"
#include "serve/http_routes.h"
#include "serve/query_api.h"
#include "serve/tls.h"

namespace stockpipe::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxUrl = 8 * 1024;    // longer: 414 (send long SQL by POST)
constexpr std::size_t kMaxHead = 16 * 1024;  // request line and headers together: 431
// After an error answer the rest of what the client sends is read and dropped for this long, so
// that closing does not reset the connection before the client has read the answer.
constexpr std::chrono::seconds kLinger{2};

}  // namespace

HttpServerOptions HttpServerOptions::From(const Config& config) {
  HttpServerOptions options;
  if (auto listen = ParseHostPort(config.serve.http)) options.listen = *listen;
  options.token = config.serve.token;
  options.query_timeout = std::chrono::milliseconds(config.serve.query_timeout / 1000);
  options.query_max_rows = config.serve.query_max_rows;
  options.read_timeout = std::chrono::milliseconds(config.serve.read_timeout / 1000);
  options.idle_timeout = std::chrono::milliseconds(config.serve.idle_timeout / 1000);
  options.write_timeout = std::chrono::milliseconds(config.serve.write_timeout / 1000);
  options.max_connections = config.serve.max_connections;
  options.max_connections_per_client = config.serve.max_connections_per_client;
  options.tls_cert = config.serve.tls_cert;
  options.tls_key = config.serve.tls_key;
  return options;
}

Status CheckTls(const HttpServerOptions& options) {
  if (options.tls_cert.empty()) return Status::Ok();
  auto context = ServerTlsContext(options.tls_cert, options.tls_key);
  return context ? Status::Ok() : context.status();
}

// What Stop needs of a connection, over plain TCP or TLS alike.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Abort() = 0;
};

// The server's parts. Everything from `per_client` to `stopping` is touched on the I/O thread only.
struct ServerState {
  Config config;
  HttpServerOptions options;
  std::unique_ptr<Dashboard> dashboard;
  std::unique_ptr<HttpRoutes> routes;
  int port = 0;
  std::once_flag stop_once;

  std::map<asio::ip::address, std::size_t> per_client;
  std::size_t open = 0;
  std::set<SessionBase*> sessions;
  bool stopping = false;
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP

  // Blocking handlers: the API, and /api/query apart so a few slow statements cannot hold up
  // /healthz and the page.
  std::unique_ptr<asio::thread_pool> workers;
  asio::thread_pool queries{2};
  // Pending handlers own sessions, whose destructors use the members above: io is destroyed
  // before those (and after the acceptor and timer, which use it).
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::thread thread;

  void Accept();
  void Admit(tcp::socket socket);
  void Refuse(tcp::socket& socket, bool per_client, std::string_view message);
};

// One client connection: reads a request, hands it to a worker, writes the answer back, and
// again while the client keeps the connection; or, for /api/events, writes events on a timer.
// `Stream` is beast::tcp_stream (HTTP) or an ssl_stream over one (HTTPS: a handshake first,
// within read_timeout, and close_notify at the end).
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

 public:
  Session(ServerState& impl, tcp::socket socket, asio::ip::address peer)
      : impl_(impl),
        stream_(MakeStream(impl, std::move(socket))),
        peer_(std::move(peer)),
        timer_(impl.io) {
    impl_.sessions.insert(this);
  }
  ~Session() {
    if (events_) impl_.routes->StreamEnded();
    impl_.sessions.erase(this);
    if (auto it = impl_.per_client.find(peer_); it != impl_.per_client.end() && --it->second == 0) {
      impl_.per_client.erase(it);
    }
    --impl_.open;
    impl_.routes->SetOpenConnections(impl_.open);
  }

  void Start() {
    if constexpr (kTls) {
      // A client that is not speaking TLS (plain HTTP to this port) fails here and is closed.
      Tcp().expires_after(impl_.options.read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                if (ec || self->closed_) return self->Close();
                                self->WaitForRequest();
                              });
    } else {
      WaitForRequest();
    }
  }

  // Closes the connection now (Stop): every pending operation ends with an error.
  void Abort() override {
    closed_ = true;
    timer_.cancel();
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    Tcp().close();
  }

 private:
  static Stream MakeStream(ServerState& impl, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *impl.tls);
    } else {
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  // Between requests: the next one's first byte within idle_timeout.
  void WaitForRequest() {
    parser_.emplace();
    parser_->header_limit(kMaxHead);
    parser_->body_limit(kMaxSqlBytes);
    if (buffer_.size() > 0) return ReadHead();
    Tcp().expires_after(impl_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec || self->closed_) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHead();
                            });
  }

  // The whole request, head and body, within read_timeout of its first byte: the deadline is
  // set once, not per byte, so a client trickling a byte a second is cut all the same.
  void ReadHead() {
    Tcp().expires_after(impl_.options.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHead(ec); });
  }

  void OnHead(beast::error_code ec) {
    if (closed_) return;
    if (ec) return OnReadError(ec);
    const auto& req = parser_->get();
    if (req.target().size() > kMaxUrl) {
      return Fail(414, "the URL is too long: POST /api/query for long SQL");
    }
    if (parser_->is_done()) return Dispatch();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(stream_, asio::buffer(kContinue),
                               [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (ec || self->closed_) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (self->closed_) return;
                       if (ec) return self->OnReadError(ec);
                       self->Dispatch();
                     });
  }

  void OnReadError(beast::error_code ec) {
    // Past the deadline, gone, or reset: nobody to answer.
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == http::error::partial_message) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return Fail(413, fmt::format("the request body is over {} KiB", kMaxSqlBytes / 1024));
    }
    if (ec == http::error::header_limit) {
      // No end of the request line in the first 8 KiB: the URL is what is too long.
      const std::string_view seen(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      if (seen.substr(0, kMaxUrl).find('\n') == std::string_view::npos) {
        return Fail(414, "the URL is too long: POST /api/query for long SQL");
      }
      return Fail(431, fmt::format("the request head is over {} KiB", kMaxHead / 1024));
    }
    Fail(400, fmt::format("the request could not be read as HTTP ({})", ec.message()));
  }

  // An answer without a handler; then the connection is closed.
  void Fail(int status, std::string_view message) {
    std::string path;
    if (parser_ && parser_->is_header_done()) {
      const auto raw = parser_->get().target();
      const std::string_view target(raw.data(), raw.size());
      path = DecodeUrl(target.substr(0, target.find('?')), false);
    }
    keep_alive_ = false;
    head_ = false;
    Answer(impl_.routes->Error(path, status,
                               status >= 500   ? "internal"
                               : status == 400 ? "bad_request"
                                               : "too_large",
                               message));
  }

  void Dispatch() {
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    const std::string_view target(msg.target().data(), msg.target().size());
    const std::size_t q = target.find('?');
    req.path = DecodeUrl(target.substr(0, q), false);
    if (q != std::string_view::npos) ParseQueryText(target.substr(q + 1), req.params);
    for (const auto& field : msg) {
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    if (req.method == "POST" &&
        req.Header("Content-Type").starts_with("application/x-www-form-urlencoded")) {
      ParseQueryText(req.body, req.params);
    }
    keep_alive_ = msg.keep_alive();
    head_ = req.method == "HEAD";
    Tcp().expires_never();  // the worker's time is not the client's
    asio::thread_pool& pool = req.path == "/api/query" ? impl_.queries : *impl_.workers;
    asio::post(pool, [self = shared_from_this(), req = std::move(req)] {
      HttpResponse res = self->impl_.routes->Handle(req);
      asio::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        if (!self->closed_) self->Answer(std::move(res));
      });
    });
  }

  void Answer(HttpResponse res) {
    if (res.event_stream && !head_) return StartEvents(std::move(res));
    if (res.event_stream) impl_.routes->StreamEnded();  // HEAD: the headers only
    auto out = std::make_shared<http::response<http::string_body>>();
    out->version(11);
    out->result(res.status);
    for (auto& [name, value] : res.headers) out->set(name, value);
    if (!res.content_type.empty()) out->set(http::field::content_type, res.content_type);
    const bool keep = keep_alive_ && !impl_.stopping;
    out->keep_alive(keep);
    if (head_) {
      out->content_length(res.body.size());  // what GET would send, without it
    } else {
      out->body() = std::move(res.body);
      out->prepare_payload();
    }
    Tcp().expires_after(impl_.options.write_timeout);
    http::async_write(stream_, *out,
                      [self = shared_from_this(), out, keep](beast::error_code ec, std::size_t) {
                        if (ec || self->closed_) return self->Close();
                        if (!keep) return self->Linger();
                        self->WaitForRequest();
                      });
  }

  // Ends the connection without discarding what the client has yet to read: our side is shut,
  // and what it still sends is read and dropped until it closes (or kLinger).
  void Linger() {
    if constexpr (kTls) {
      // TLS ends with close_notify; a client that never answers it is cut after kLinger.
      Tcp().expires_after(kLinger);
      return stream_.async_shutdown(
          [self = shared_from_this()](beast::error_code) { self->Close(); });
    }
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    if (!lingering_) {
      lingering_ = true;
      Tcp().expires_after(kLinger);
    }
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec || self->closed_) return self->Close();
                              self->buffer_.consume(n);
                              self->Linger();
                            });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    Tcp().close();
  }

  // /api/events: the header, then a chunk per tick (a tick's text comes from a worker, which
  // reads the stores), a comment when nothing was sent for keep_alive_every.
  void StartEvents(HttpResponse res) {
    events_ = impl_.routes->NewEventStream();
    auto header = std::make_shared<http::response<http::empty_body>>();
    header->version(11);
    header->result(res.status);
    for (auto& [name, value] : res.headers) header->set(name, value);
    header->set(http::field::content_type, res.content_type);
    header->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
    Tcp().expires_after(impl_.options.write_timeout);
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), header, serializer](beast::error_code ec, std::size_t) {
          if (ec || self->closed_) return self->Close();
          self->next_tick_ = self->last_sent_ = Clock::now();
          self->WaitTick();
        });
  }

  void WaitTick() {
    Tcp().expires_never();
    timer_.expires_at(next_tick_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return self->Close();
      asio::post(*self->impl_.workers, [self] {
        std::string text = self->events_->Tick(NowMicros());
        asio::post(self->stream_.get_executor(), [self, text = std::move(text)]() mutable {
          if (!self->closed_) self->SendTick(std::move(text));
        });
      });
    });
  }

  void SendTick(std::string text) {
    const auto now = Clock::now();
    next_tick_ = std::max(next_tick_ + impl_.options.status_every, now);
    if (text.empty() && now - last_sent_ >= impl_.options.keep_alive_every)
      text = ": keep-alive\n\n";
    if (text.empty()) return WaitTick();
    last_sent_ = now;
    chunk_ = std::move(text);
    Tcp().expires_after(impl_.options.write_timeout);
    asio::async_write(stream_, http::make_chunk(asio::buffer(chunk_)),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec || self->closed_) return self->Close();
                        self->WaitTick();
                      });
  }

  ServerState& impl_;
  Stream stream_;
  asio::ip::address peer_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false, head_ = false, closed_ = false, lingering_ = false;
  std::unique_ptr<EventStream> events_;
  Clock::time_point next_tick_, last_sent_;
  std::string chunk_;
};

void ServerState::Accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (stopping || !acceptor.is_open()) return;
    if (ec) {
      // Out of file descriptors, mostly: try again shortly rather than spin.
      spdlog::warn("serve: accept: {}", ec.message());
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code wait) {
        if (!wait) Accept();
      });
      return;
    }
    Admit(std::move(socket));
    Accept();
  });
}

void ServerState::Admit(tcp::socket socket) {
  beast::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;
  const asio::ip::address address = peer.address();
  if (open >= options.max_connections) {
    return Refuse(socket, false,
                  fmt::format("the server has {} connections open, its most; try again later",
                              options.max_connections));
  }
  const auto it = per_client.find(address);
  if (it != per_client.end() && it->second >= options.max_connections_per_client) {
    return Refuse(socket, true,
                  fmt::format("{} connections from {} are open already, the most one client may "
                              "have; close some",
                              options.max_connections_per_client, address.to_string()));
  }
  ++open;
  ++per_client[address];
  routes->SetOpenConnections(open);
  if (tls) {
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, std::move(socket),
                                                                    address)
        ->Start();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(*this, std::move(socket), address)->Start();
  }
}

// Over a bound: `503 busy` written at once (a fresh socket's send buffer takes it whole; a
// client that cannot take it loses nothing it asked for) and closed, no request read.
// Over TLS the connection is closed without an answer: a plain-text one would read as a broken
// handshake anyway.
void ServerState::Refuse(tcp::socket& socket, bool per_client_bound, std::string_view message) {
  routes->CountRefused(per_client_bound);
  beast::error_code ec;
  if (tls) {
    socket.close(ec);
    return;
  }
  const HttpResponse res = routes->Error("", 503, "busy", message);
  std::string text = fmt::format("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n");
  for (const auto& [name, value] : res.headers) text += fmt::format("{}: {}\r\n", name, value);
  text += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n\r\n{}", res.content_type,
                      res.body.size(), res.body);
  socket.non_blocking(true, ec);
  socket.send(asio::buffer(text), 0, ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  // What the client sent already is dropped first: closing over unread bytes would reset the
  // connection, and the answer with it.
  char drop[4096];
  while (socket.receive(asio::buffer(drop), 0, ec) > 0) {
  }
  socket.close(ec);
}

struct HttpServer::Impl : ServerState {};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop();
}

namespace {

// Binds the first address `listen` resolves to that takes it. SO_REUSEADDR (a restart over
// TIME_WAIT sockets binds) but not SO_REUSEPORT (with which a second server would bind the same
// port and take half the requests).
Status Bind(tcp::acceptor& acceptor, const HostPort& listen) {
  const auto failed = [&](const std::string& why) {
    return Status::Error(fmt::format(
        "cannot listen on {}:{}: {} (another `stockpipe serve` or `run` there? choose another "
        "address with --http, or --http 127.0.0.1:0 for any free port)",
        UrlHost(listen.host), listen.port, why));
  };
  asio::io_context resolve_io;
  tcp::resolver resolver(resolve_io);
  beast::error_code ec;
  const auto endpoints =
      resolver.resolve(listen.host, std::to_string(listen.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) return failed(ec.message());
  std::string why = "the address cannot be bound";
  for (const auto& entry : endpoints) {
    beast::error_code step;
    acceptor.open(entry.endpoint().protocol(), step);
    if (!step) acceptor.set_option(asio::socket_base::reuse_address(true), step);
    if (!step) acceptor.bind(entry.endpoint(), step);
    if (!step) acceptor.listen(asio::socket_base::max_listen_connections, step);
    if (!step) return Status::Ok();
    why = step.message();
    beast::error_code ignored;
    acceptor.close(ignored);
  }
  return failed(why);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const Config& config,
                                                      const HttpServerOptions& options,
                                                      std::unique_ptr<DashboardData> data) {
  // A client that goes away mid-answer makes the next write fail with EPIPE; the default action
  // of SIGPIPE would end the whole process instead.
  std::signal(SIGPIPE, SIG_IGN);
  auto dashboard = data ? Dashboard::Open(config, std::move(data)) : Dashboard::Open(config);
  if (!dashboard) return Status::Error(fmt::format("dashboard: {}", dashboard.error()));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = options;
  impl->dashboard = std::move(*dashboard);
  impl->routes = std::make_unique<HttpRoutes>(config, options, *impl->dashboard);
  impl->workers =
      std::make_unique<asio::thread_pool>(std::max<std::size_t>(1, options.worker_threads));
  if (!options.tls_cert.empty()) {
    auto tls = ServerTlsContext(options.tls_cert, options.tls_key);
    if (!tls) return tls.status();
    impl->tls = std::move(*tls);
  }
  if (Status s = Bind(impl->acceptor, options.listen); !s.ok()) return s;
  beast::error_code ec;
  impl->port = impl->acceptor.local_endpoint(ec).port();
  if (ec)
    return Status::Error(
        fmt::format("cannot serve on {}: {}", UrlHost(options.listen.host), ec.message()));
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  std::unique_ptr<HttpServer> out(new HttpServer(std::move(impl)));
  spdlog::info("serve: dashboard at {}{}", out->url(),
               options.token.empty() ? "" : " (token required: STOCKPIPE_HTTP_TOKEN)");
  return out;
}

void HttpServer::Stop() {
  if (!impl_) return;
  std::call_once(impl_->stop_once, [this] {
    Impl& impl = *impl_;
    std::promise<void> closed;
    asio::post(impl.io, [&impl, &closed] {
      impl.stopping = true;
      beast::error_code ec;
      impl.acceptor.close(ec);
      impl.accept_retry.cancel();
      for (SessionBase* session :
           std::vector<SessionBase*>(impl.sessions.begin(), impl.sessions.end())) {
        session->Abort();
      }
      closed.set_value();
    });
    closed.get_future().wait();
    // Handlers already running finish; their answers find their connection closed.
    impl.workers->join();
    impl.queries.join();
    impl.io.stop();
    if (impl.thread.joinable()) impl.thread.join();
  });
}

int HttpServer::port() const {
  return impl_->port;
}

std::string HttpServer::url() const {
  return fmt::format("{}://{}:{}/", impl_->tls ? "https" : "http",
                     UrlHost(impl_->options.listen.host), impl_->port);
}

}  // namespace stockpipe::serve
