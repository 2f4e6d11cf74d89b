// `stockpipe serve` and the dashboard inside `stockpipe run`, through the binary: the URL it logs
// is the one it serves, a non-loopback address is refused (exit 2, naming what is missing), an
// address in use is a clear error (exit 1), and Ctrl-C stops it cleanly.
//
// The URL is read from the child's stderr file: the child writes it once the port is bound, and
// the test polls the file for that line with a bounded deadline (a hung child is the only way
// to reach it).
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "support/loopback_http.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

using testing::RunStockpipe;

class ServeCliTest : public ::testing::Test {
 protected:
  std::vector<std::string> With(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", (dir_.path() / "data").string()});
    return args;
  }
  testing::TempDir dir_;
};

TEST_F(ServeCliTest, RunServesTheDashboardAtTheLoggedUrlUntilCtrlC) {
  auto child =
      testing::Start(With({"run", "--producer", "synthetic", "--for", "10m", "--INTERVAL_SEC",
                           "0.05", "--seed", "5", "--http", "127.0.0.1:0"}),
                     {.cwd = dir_.path()});
  const int port = testing::WaitForDashboardPort(child);
  ASSERT_GT(port, 0) << child.StdErrSoFar();
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
  // The pipeline beside it is live: its records show up in the status document.
  std::string last;
  ASSERT_TRUE(testing::Eventually([&] {
    auto r = client.Get("/api/status");
    last = r ? fmt::format("{} {}", r->status, r->body) : httplib::to_string(r.error());
    if (!r || r->status != 200) return false;
    const auto doc = nlohmann::json::parse(r->body, nullptr, false);
    return doc.is_object() && doc["ingest"].value("received", 0) > 0;
  })) << "last answer: "
      << last << "\nstderr: " << child.StdErrSoFar();
  // Records per second needs two samples a second or more apart: the server keeps them between
  // requests, and the producer never pauses, so the rate becomes a positive number.
  ASSERT_TRUE(testing::Eventually([&] {
    auto r = client.Get("/api/status");
    if (!r || r->status != 200) return false;
    const auto doc = nlohmann::json::parse(r->body, nullptr, false);
    const auto& rate = doc["ingest"]["records_per_second"];
    return rate.is_number() && rate.get<double>() > 0;
  })) << client.Get("/api/status")->body;

  child.Signal(SIGINT);
  const auto r = child.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped cleanly"), std::string::npos) << r.err;
  EXPECT_FALSE(client.Get("/healthz")) << "still serving after the run stopped";
}

TEST_F(ServeCliTest, ServeRunsAloneAndStopsOnCtrlC) {
  auto child = testing::Start(With({"serve", "--http", "127.0.0.1:0"}), {.cwd = dir_.path()});
  const int port = testing::WaitForDashboardPort(child);
  ASSERT_GT(port, 0) << child.StdErrSoFar();
  httplib::Client client("127.0.0.1", port);
  auto symbols = client.Get("/api/symbols");
  ASSERT_TRUE(symbols);
  EXPECT_EQ(symbols->status, 200);
  EXPECT_EQ(nlohmann::json::parse(symbols->body, nullptr, false),
            nlohmann::json::parse(R"({"symbols":[]})"))
      << "no pipeline has run: empty, not an error";
  child.Signal(SIGINT);
  const auto r = child.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ServeCliTest, NonLoopbackAddressIsRefusedNamingWhatIsMissing) {
  const std::string token = "0123456789abcdef-token";
  const auto neither = RunStockpipe(With({"serve", "--http", "0.0.0.0:0"}), {.cwd = dir_.path()});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.err.find("--allow-remote"), std::string::npos) << neither.err;
  EXPECT_NE(neither.err.find("STOCKPIPE_HTTP_TOKEN"), std::string::npos) << neither.err;

  const auto flag_only =
      RunStockpipe(With({"serve", "--http", "0.0.0.0:0", "--allow-remote"}), {.cwd = dir_.path()});
  EXPECT_EQ(flag_only.exit_code, 2);
  EXPECT_NE(flag_only.err.find("set STOCKPIPE_HTTP_TOKEN"), std::string::npos) << flag_only.err;

  const auto token_only =
      RunStockpipe(With({"run", "--http", "0.0.0.0:0", "--for", "1s"}),
                   {.cwd = dir_.path(), .env = {{"STOCKPIPE_HTTP_TOKEN", token}}});
  EXPECT_EQ(token_only.exit_code, 2);
  EXPECT_NE(token_only.err.find("pass --allow-remote"), std::string::npos) << token_only.err;
  EXPECT_EQ(token_only.err.find(token), std::string::npos) << "the token is never logged";
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "stream.db"))
      << "the refused run started its pipeline";

  // The address itself is checked like any setting (flag and STOCKPIPE_HTTP).
  EXPECT_EQ(RunStockpipe(With({"serve", "--http", "nonsense"}), {.cwd = dir_.path()}).exit_code, 2);
  const auto env =
      RunStockpipe(With({"serve"}), {.cwd = dir_.path(), .env = {{"STOCKPIPE_HTTP", "1.2.3.4"}}});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_NE(env.err.find("STOCKPIPE_HTTP"), std::string::npos) << env.err;
}

TEST_F(ServeCliTest, AnAddressInUseIsAClearErrorAndTheRunDoesNotStart) {
  testing::LoopbackHttp taken;
  taken.Start();
  const std::string address = fmt::format("127.0.0.1:{}", taken.port());
  // Started, not run to the end: were the bind to succeed, serve would never exit by itself.
  auto child = testing::Start(With({"serve", "--http", address}), {.cwd = dir_.path()});
  ASSERT_TRUE(testing::Eventually(
      [&] { return child.StdErrSoFar().find("cannot listen") != std::string::npos; },
      std::chrono::seconds(60)))
      << child.StdErrSoFar();
  const auto serve = child.Wait();
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_NE(serve.err.find("cannot listen on " + address), std::string::npos) << serve.err;
  EXPECT_NE(serve.err.find("in use"), std::string::npos) << serve.err;

  const auto run =
      RunStockpipe(With({"run", "--for", "1s", "--http", address}), {.cwd = dir_.path()});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "stream.db"));
}

TEST_F(ServeCliTest, NoHttpRunsWithoutTheDashboard) {
  const auto r = RunStockpipe(With({"run", "--for", "1s", "--no-http"}), {.cwd = dir_.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("serve: dashboard at"), std::string::npos) << r.err;
  EXPECT_NE(RunStockpipe(With({"run", "--for", "1s", "--no-http", "--http", "127.0.0.1:0"}),
                         {.cwd = dir_.path()})
                .exit_code,
            0)
      << "--no-http and --http together are a usage error";
}

}  // namespace
}  // namespace stockpipe
