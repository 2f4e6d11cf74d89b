// The dashboard's configuration: `[serve]` in the TOML file, STOCKPIPE_HTTP over it, the token only
// from the environment (never the file, never quoted back), and the addresses ParseHostPort takes.
#include <gtest/gtest.h>

#include <map>

#include "support/subprocess.h"
#include "core/config.h"
#include "serve/http_server.h"

namespace stockpipe {
namespace {

Result<Config> Load(const std::string& toml, std::map<std::string, std::string> env) {
  testing::TempDir dir;
  const auto path = dir.path() / "stockpipe.toml";
  testing::WriteFile(path, toml);
  return LoadConfig(path.string(), true, [&](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(HttpConfig, ServeSectionAndEnvironmentOverride) {
  const std::string toml =
      "[serve]\nhttp = \"127.0.0.1:9090\"\nquery_timeout = \"2s\"\nquery_max_rows = 50\n";
  auto c = Load(toml, {});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->serve.http, "127.0.0.1:9090");
  EXPECT_EQ(c->serve.query_timeout, 2'000'000);
  EXPECT_EQ(c->serve.query_max_rows, 50u);
  EXPECT_TRUE(c->warnings.empty()) << c->warnings.front();
  const auto options = serve::HttpServerOptions::From(*c);
  EXPECT_EQ(options.listen.host, "127.0.0.1");
  EXPECT_EQ(options.listen.port, 9090);
  EXPECT_EQ(options.query_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(options.query_max_rows, 50u);

  auto env = Load(toml, {{"STOCKPIPE_HTTP", "localhost:0"}});
  ASSERT_TRUE(env.ok()) << env.error();
  EXPECT_EQ(env->serve.http, "localhost:0");

  Config defaults;
  EXPECT_EQ(defaults.serve.http, "127.0.0.1:8080");
  EXPECT_TRUE(defaults.serve.token.empty());
}

TEST(HttpConfig, TheTokenComesFromTheEnvironmentOnlyAndIsNeverQuoted) {
  const std::string token = "abcdefghijklmnop-0123";
  auto c = Load("", {{"STOCKPIPE_HTTP_TOKEN", token}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->serve.token, token);

  auto in_file = Load("[serve]\ntoken = \"abcdefghijklmnop-0123\"\n", {});
  ASSERT_FALSE(in_file.ok());
  EXPECT_NE(in_file.error().find("STOCKPIPE_HTTP_TOKEN"), std::string::npos) << in_file.error();
  EXPECT_EQ(in_file.error().find(token), std::string::npos);

  for (const std::string bad :
       {"short-token", "has a space in it, 0123456789", "semi;colon0123456789"}) {
    auto r = Load("", {{"STOCKPIPE_HTTP_TOKEN", bad}});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().find("STOCKPIPE_HTTP_TOKEN"), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find(bad), std::string::npos) << "the value is not quoted: " << r.error();
  }
}

TEST(HttpConfig, BadServeValuesNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[serve]\nhttp = \"8080\"\n", "STOCKPIPE_HTTP"},
      {"[serve]\nhttp = \"127.0.0.1:99999\"\n", "STOCKPIPE_HTTP"},
      {"[serve]\nquery_timeout = \"soon\"\n", "serve.query_timeout"},
      {"[serve]\nquery_timeout = \"0s\"\n", "serve.query_timeout"},
      {"[serve]\nquery_max_rows = 0\n", "serve.query_max_rows"},
  };
  for (const auto& [toml, key] : bad) {
    auto r = Load(toml, {});
    ASSERT_FALSE(r.ok()) << toml;
    EXPECT_NE(r.error().find(key), std::string::npos) << toml << " -> " << r.error();
  }
}

TEST(HttpConfig, HostPortForms) {
  const auto v4 = ParseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  const auto v6 = ParseHostPort("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  const auto name = ParseHostPort("localhost:65535");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->host, "localhost");
  for (const char* bad : {"", "8080", ":8080", "::1:8080", "[::1]", "host:", "host:-1",
                          "host:65536", "host:80x", "a b:80", "[]:80"}) {
    EXPECT_FALSE(ParseHostPort(bad)) << bad;
  }
}

}  // namespace
}  // namespace stockpipe
