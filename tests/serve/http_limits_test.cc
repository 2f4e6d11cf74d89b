// Slow and idle clients against the real server on 127.0.0.1:0, as issue 19 reproduced them:
// half-open connections (a request line and nothing more), clients trickling one header line at a
// time, idle keep-alive connections. They cost the server a socket each, never a thread: /healthz
// and /api/status still answer while 200 of them hold sockets, a trickler is cut at the request
// deadline however often it sends a byte, and connections over the per-client and total bounds
// get `503 busy`. Clients are plain sockets (tests/support/slow_client.h), bound to 127.0.0.2..
// to act as distinct client addresses. Every wait is on something observed, with a bound.
#include <gtest/gtest.h>

#include <atomic>
#include <regex>

#include "serve/http_fixture.h"
#include "support/slow_client.h"

namespace stockpipe {
namespace {

using std::chrono::milliseconds;
using testing::json;
using testing::SlowClient;

constexpr milliseconds kBound{10'000};  // only a hung server reaches it

class HttpLimitsTest : public ::testing::Test {
 protected:
  Config MakeConfig() {
    Config config;
    config.data_dir = (dir_.path() / "data").string();
    config.serve.http = "127.0.0.1:0";
    return config;
  }
  std::unique_ptr<serve::HttpServer> Start(const serve::HttpServerOptions& options) {
    auto server = serve::HttpServer::Start(MakeConfig(), options);
    if (!server) {
      ADD_FAILURE() << server.error();
      return nullptr;
    }
    return std::move(*server);
  }
  serve::HttpServerOptions Options() { return serve::HttpServerOptions::From(MakeConfig()); }

  // A metric's value from /metrics, or -1.
  static long Metric(int port, const std::string& sample) {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(std::chrono::seconds(5));
    auto r = client.Get("/metrics");
    if (!r || r->status != 200) return -1;
    const std::size_t at = r->body.find("\n" + sample + " ");
    return at == std::string::npos ? -1 : std::stol(r->body.substr(at + sample.size() + 2));
  }

  testing::TempDir dir_;
};

std::string Address(int i) {
  return fmt::format("127.0.0.{}", 2 + i);
}

TEST_F(HttpLimitsTest, HealthzAndStatusAnswerWhile200SlowClientsHoldSockets) {
  auto options = Options();
  // Long enough that no slow client is cut while the test asks: they must all be holding on.
  options.read_timeout = milliseconds(60'000);
  options.idle_timeout = milliseconds(60'000);
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  const int port = server->port();

  // 200 clients from 4 addresses (50 each, under the per-client bound of 64).
  std::vector<std::unique_ptr<SlowClient>> half_open, trickling, idle;
  for (int i = 0; i < 200; ++i) {
    auto client = std::make_unique<SlowClient>(port, Address(i % 4));
    if (i % 3 == 0) {
      ASSERT_TRUE(client->Send("GET /api/status HTTP/1.1\r\n"));
      half_open.push_back(std::move(client));
    } else if (i % 3 == 1) {
      ASSERT_TRUE(client->Send("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
      trickling.push_back(std::move(client));
    } else {
      // One whole request answered, then the connection is kept open and silent.
      ASSERT_TRUE(client->Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      ASSERT_TRUE(client->ReadUntil(R"({"status":"ok"})", kBound)) << client->received();
      idle.push_back(std::move(client));
    }
  }
  // The tricklers add a header line every 100 ms for as long as the test runs.
  std::atomic<bool> quit{false};
  std::thread trickle([&] {
    for (int n = 0; !quit; ++n) {
      for (auto& client : trickling) client->Send(fmt::format("X-Slow-{}: {}\r\n", n, n));
      std::this_thread::sleep_for(milliseconds(100));  // the load's pace, not a wait for anything
    }
  });
  struct Joiner {
    std::atomic<bool>& quit;
    std::thread& thread;
    ~Joiner() {
      quit = true;
      if (thread.joinable()) thread.join();
    }
  } joiner{quit, trickle};

  // All of them are connections the server holds (the /metrics probe itself is one more).
  ASSERT_TRUE(
      testing::Eventually([&] { return Metric(port, "stockpipe_http_connections_open") >= 201; },
                          std::chrono::seconds(10)))
      << Metric(port, "stockpipe_http_connections_open");

  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(2));
  for (int i = 0; i < 20; ++i) {
    auto health = client.Get("/healthz");
    ASSERT_TRUE(health) << "/healthz did not answer within 2 s: "
                        << httplib::to_string(health.error());
    EXPECT_EQ(health->status, 200);
    auto status = client.Get("/api/status");
    ASSERT_TRUE(status) << "/api/status did not answer within 2 s";
    EXPECT_EQ(status->status, 200);
  }
  // None of the slow clients was dropped to make room: each still holds its socket.
  for (auto* group : {&half_open, &trickling, &idle}) {
    for (auto& c : *group) EXPECT_FALSE(c->ClosedNow());
  }
  quit = true;
  trickle.join();

  // Stop closes every one of them, promptly.
  const auto started = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  for (auto* group : {&half_open, &trickling, &idle}) {
    for (auto& c : *group) EXPECT_TRUE(c->WaitClosed(kBound));
  }
}

TEST_F(HttpLimitsTest, ATricklingClientIsCutAtTheRequestDeadlineNotKeptByEachByte) {
  auto options = Options();
  options.read_timeout = milliseconds(1'000);
  options.idle_timeout = milliseconds(1'000);
  auto server = Start(options);
  ASSERT_NE(server, nullptr);

  SlowClient trickler(server->port());
  ASSERT_TRUE(trickler.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  // A byte every 50 ms: a timer reset per byte would never fire. Only the deadline ends it.
  bool closed = false;
  const auto until = std::chrono::steady_clock::now() + kBound;
  while (!closed && std::chrono::steady_clock::now() < until) {
    if (!trickler.Send("X")) break;  // the server has shut its side
    closed = trickler.WaitClosed(milliseconds(50));
  }
  EXPECT_TRUE(closed || trickler.WaitClosed(kBound)) << "the trickler was never cut";
  EXPECT_EQ(trickler.received().find("200 OK"), std::string::npos)
      << "an unfinished request is never answered: " << trickler.received();

  // Half-open (the request line only) and silent connections end the same way.
  SlowClient half_open(server->port());
  ASSERT_TRUE(half_open.Send("GET /healthz HTTP/1.1\r\n"));
  SlowClient silent(server->port());
  EXPECT_TRUE(half_open.WaitClosed(kBound));
  EXPECT_TRUE(silent.WaitClosed(kBound));

  // And the server still answers.
  httplib::Client client("127.0.0.1", server->port());
  auto r = client.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpLimitsTest, AKeepAliveConnectionServesRequestsInTurnThenIdlesOut) {
  auto options = Options();
  options.idle_timeout = milliseconds(500);
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  SlowClient client(server->port());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    ASSERT_TRUE(client.ReadUntil(
        [&](const std::string& r) {
          std::size_t n = 0;
          for (std::size_t at = 0; (at = r.find(R"({"status":"ok"})", at)) != std::string::npos;
               ++at) {
            ++n;
          }
          return n == static_cast<std::size_t>(i);
        },
        kBound))
        << client.received();
  }
  EXPECT_TRUE(client.WaitClosed(kBound)) << "an idle keep-alive connection is closed";
}

// Reads a refused connection's answer: `503 busy`, then the close.
void ExpectRefused(SlowClient& client) {
  EXPECT_TRUE(client.WaitClosed(kBound));
  const std::string& r = client.received();
  EXPECT_TRUE(r.starts_with("HTTP/1.1 503")) << r;
  const json body = json::parse(r.substr(r.find("\r\n\r\n") + 4), nullptr, false);
  EXPECT_EQ(body.value("error", ""), "busy") << r;
}

TEST_F(HttpLimitsTest, ConnectionsOverThePerClientBoundAreRefused) {
  auto options = Options();
  options.max_connections_per_client = 4;
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  // Accepted in the order they connected: the fifth from 127.0.0.2 finds four open.
  std::vector<std::unique_ptr<SlowClient>> held;
  for (int i = 0; i < 4; ++i) held.push_back(std::make_unique<SlowClient>(port, Address(0)));
  SlowClient fifth(port, Address(0));
  ExpectRefused(fifth);
  EXPECT_NE(fifth.received().find("127.0.0.2"), std::string::npos) << fifth.received();
  for (auto& c : held) EXPECT_FALSE(c->ClosedNow()) << "the four held keep their sockets";

  // Another address is served all the same.
  SlowClient other(port, Address(1));
  ASSERT_TRUE(other.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  EXPECT_TRUE(other.ReadUntil(R"({"status":"ok"})", kBound)) << other.received();
  EXPECT_EQ(Metric(port, "stockpipe_http_connections_refused_total{bound=\"per_client\"}"), 1);

  // One of the four goes: its place is free again.
  held.pop_back();
  EXPECT_TRUE(testing::Eventually(
      [&] {
        SlowClient again(port, Address(0));
        again.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        again.WaitClosed(kBound);
        return again.received().starts_with("HTTP/1.1 200");
      },
      std::chrono::seconds(10)));
}

TEST_F(HttpLimitsTest, ConnectionsOverTheTotalBoundAreRefused) {
  auto options = Options();
  options.max_connections = 6;
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  std::vector<std::unique_ptr<SlowClient>> held;
  for (int i = 0; i < 6; ++i) held.push_back(std::make_unique<SlowClient>(port, Address(i)));
  SlowClient seventh(port, Address(6));
  ExpectRefused(seventh);
  for (auto& c : held) EXPECT_FALSE(c->ClosedNow());

  held.pop_back();
  EXPECT_TRUE(testing::Eventually(
      [&] {
        httplib::Client client("127.0.0.1", port);
        auto r = client.Get("/healthz");
        return r && r->status == 200;
      },
      std::chrono::seconds(10)));
  // The connection of the request just answered may still count until the server sees it
  // close, and then this one is refused (-1) in turn: ask until /metrics answers.
  long refused = -1;
  EXPECT_TRUE(testing::Eventually(
      [&] {
        refused = Metric(port, "stockpipe_http_connections_refused_total{bound=\"total\"}");
        return refused >= 0;
      },
      std::chrono::seconds(10)));
  EXPECT_GE(refused, 1);
}

TEST_F(HttpLimitsTest, AFormPostHasTheJsonBodysLimitAndMessage) {
  std::filesystem::create_directories(dir_.path() / "data");  // the SQL engine reads a folder
  auto server = Start(Options());
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  // Over 8 KiB (cpp-httplib's old cap for forms) and under 64 KiB: read as sql=&limit=.
  const std::string text(10 * 1024, 'x');
  auto fits = client.Post("/api/query", "sql=SELECT+%27" + text + "%27+AS+s&limit=1",
                          "application/x-www-form-urlencoded");
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200) << fits->body.substr(0, 300);
  EXPECT_TRUE(testing::Body(fits)["rows"] == json::array({json::array({text})}))
      << fits->body.substr(0, 300);

  const std::string big(70 * 1024, 'x');
  auto form = client.Post("/api/query", "sql=SELECT+%27" + big + "%27",
                          "application/x-www-form-urlencoded");
  auto json_post =
      client.Post("/api/query", json({{"sql", "SELECT '" + big + "'"}}).dump(), "application/json");
  ASSERT_TRUE(form);
  ASSERT_TRUE(json_post);
  EXPECT_EQ(form->status, 413);
  EXPECT_EQ(json_post->status, 413);
  EXPECT_EQ(testing::Body(form), testing::Body(json_post));
  EXPECT_EQ(testing::Body(form).value("error", ""), "too_large");
  EXPECT_NE(testing::Body(form).value("message", "").find("64 KiB"), std::string::npos);
}

TEST_F(HttpLimitsTest, HeadPercentDecodingAndOverlongRequests) {
  auto server = Start(Options());
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  auto get = client.Get("/healthz");
  auto head = client.Head("/healthz");
  ASSERT_TRUE(get);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->get_header_value("Content-Length"), std::to_string(get->body.size()));

  auto decoded = client.Get("/api/%73tatus");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->status, 200);

  auto long_url = client.Get("/api/query?sql=" + std::string(9 * 1024, 'x'));
  ASSERT_TRUE(long_url);
  EXPECT_EQ(long_url->status, 414);
  EXPECT_EQ(testing::Body(long_url).value("error", ""), "too_large");

  SlowClient garbage(server->port());
  ASSERT_TRUE(garbage.Send("NOT HTTP AT ALL\r\n\r\n"));
  EXPECT_TRUE(garbage.WaitClosed(kBound));
  EXPECT_TRUE(garbage.received().starts_with("HTTP/1.1 400")) << garbage.received();
}

}  // namespace
}  // namespace stockpipe
