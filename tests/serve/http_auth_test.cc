// Who may read the dashboard: the token (Bearer header, or the cookie `/?token=` sets; /healthz
// exempt), the Host check without a token (DNS rebinding), and the exposure rule for addresses
// that are not loopback. The real server on 127.0.0.1:0 over an empty data folder.
#include <gtest/gtest.h>

#include "serve/http_fixture.h"

namespace stockpipe {
namespace {

using testing::json;

constexpr const char* kToken = "s3cr3t-Token_0123456789";

class HttpAuthTest : public ::testing::Test {
 protected:
  std::unique_ptr<serve::HttpServer> Start(const std::string& token) {
    Config config;
    config.data_dir = (dir_.path() / "data").string();
    config.serve.http = "127.0.0.1:0";
    config.serve.token = token;
    return testing::StartServer(config);
  }
  testing::TempDir dir_;
};

void ExpectUnauthorized(const httplib::Result& r) {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(testing::Body(r).value("error", ""), "unauthorized");
  EXPECT_EQ(r->body.find(kToken), std::string::npos) << "the token is never echoed";
}

TEST_F(HttpAuthTest, EveryPathButHealthzNeedsTheBearerToken) {
  auto server = Start(kToken);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  for (const char* path : {"/", "/assets/app.js", "/api/status", "/api/symbols", "/metrics",
                           "/api/events", "/no/such/path"}) {
    SCOPED_TRACE(path);
    ExpectUnauthorized(client.Get(path));
    ExpectUnauthorized(client.Get(path, {{"Authorization", "Bearer wrong-token-0123456789"}}));
    // One character short: a prefix of the token is not the token.
    ExpectUnauthorized(client.Get(
        path,
        {{"Authorization", "Bearer " + std::string(kToken).substr(0, std::strlen(kToken) - 1)}}));
  }
  const httplib::Headers bearer = {{"Authorization", std::string("Bearer ") + kToken}};
  for (const char* path : {"/", "/api/status", "/api/symbols", "/metrics"}) {
    SCOPED_TRACE(path);
    auto r = client.Get(path, bearer);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(HttpAuthTest, TokenInTheUrlSetsAStrictHttpOnlyCookieAndRedirects) {
  auto server = Start(kToken);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  ExpectUnauthorized(client.Get("/?token=not-the-token-0123456789"));

  auto r = client.Get(std::string("/?token=") + kToken);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->get_header_value("Location"), "/");
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find(std::string("stockpipe_token=") + kToken), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;

  // What a browser sends back from then on.
  const httplib::Headers jar = {{"Cookie", std::string("other=1; stockpipe_token=") + kToken}};
  for (const char* path : {"/", "/api/status", "/assets/style.css"}) {
    SCOPED_TRACE(path);
    auto page = client.Get(path, jar);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
  }
  ExpectUnauthorized(client.Get("/api/status", {{"Cookie", "stockpipe_token=nope"}}));
}

TEST_F(HttpAuthTest, WithoutATokenOnlyLoopbackHostNamesAreServed) {
  auto server = Start("");
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  auto ok = client.Get("/api/status");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto local = client.Get("/api/status", {{"Host", fmt::format("localhost:{}", server->port())}});
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 200);
  // A page on another site that rebinds its name to 127.0.0.1 still sends its own name.
  auto rebound = client.Get("/api/status", {{"Host", "evil.example:80"}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  EXPECT_EQ(testing::Body(rebound).value("error", ""), "forbidden_host");
}

TEST(HttpAccess, TokenCookieAndHostParsing) {
  using serve::SameSecret;
  EXPECT_TRUE(SameSecret(kToken, kToken));
  EXPECT_FALSE(SameSecret("", kToken));
  EXPECT_FALSE(SameSecret(std::string(kToken) + "x", kToken));
  EXPECT_FALSE(SameSecret(std::string(kToken) + kToken, kToken)) << "the token twice";
  EXPECT_FALSE(SameSecret("", "")) << "no token configured matches nothing";
  EXPECT_EQ(serve::CookieValue("a=1; stockpipe_token=xyz ; b=2", "stockpipe_token"), "xyz");
  EXPECT_EQ(serve::CookieValue("my_stockpipe_token=xyz", "stockpipe_token"), std::nullopt);
  EXPECT_EQ(serve::BearerToken("Bearer  abc "), "abc");
  EXPECT_EQ(serve::BearerToken("Basic abc"), std::nullopt);
  EXPECT_EQ(serve::HostOnly("127.0.0.1:8080"), "127.0.0.1");
  EXPECT_EQ(serve::HostOnly("[::1]:80"), "::1");
  EXPECT_EQ(serve::HostOnly("localhost"), "localhost");
}

TEST(HttpExposure, NonLoopbackNeedsTheFlagAndTheTokenAndSaysWhichIsMissing) {
  using serve::CheckExposure;
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1"}) {
    EXPECT_TRUE(CheckExposure({host, 8080}, false, false).ok()) << host;
  }
  const HostPort any{"0.0.0.0", 8080};
  const Status neither = CheckExposure(any, false, false);
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.message().find("--allow-remote"), std::string::npos) << neither.message();
  EXPECT_NE(neither.message().find("STOCKPIPE_HTTP_TOKEN"), std::string::npos);
  const Status no_token = CheckExposure(any, true, false);
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.message().find("--allow-remote"), std::string::npos) << no_token.message();
  EXPECT_NE(no_token.message().find("STOCKPIPE_HTTP_TOKEN"), std::string::npos);
  const Status no_flag = CheckExposure({"192.168.1.5", 80}, false, true);
  ASSERT_FALSE(no_flag.ok());
  EXPECT_NE(no_flag.message().find("--allow-remote"), std::string::npos) << no_flag.message();
  EXPECT_EQ(no_flag.message().find("STOCKPIPE_HTTP_TOKEN"), std::string::npos);
  EXPECT_TRUE(CheckExposure(any, true, true).ok());
}

}  // namespace
}  // namespace stockpipe
