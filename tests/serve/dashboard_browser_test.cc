// The dashboard in a real browser: `stockpipe run` with the synthetic producer and the HTTP
// server on a free port, then Debian's headless Chromium (driven by playwright-core from
// tests/peers, see tests/serve/browser/dashboard.mjs) loads the page and checks that the chart,
// its SMA line, a signal marker, the candle view (bars, markers, read-out, interval, zoom, pan),
// the alert rows, the live status panel and the SQL box render,
// with no console error or failed request. The screenshot goes to <build>/test-output.
//
// Nothing is skipped: without Chromium or the node modules the test fails and says how to get
// them (scripts/setup.sh installs both).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kChromium[] = "/usr/bin/chromium";

// <build>/test-output: the test binaries live in <build>/tests.
fs::path OutputDir() {
  return fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "test-output";
}

// Runs `args` (the program looked up on PATH) to its end with stdout and stderr into `log`; its
// exit code, or -1 when it could not start or died of a signal.
int RunTool(const std::vector<std::string>& args, const fs::path& log) {
  return testing::Spawn({.program = args.front(),
                         .args = {args.begin() + 1, args.end()},
                         .env = testing::CleanEnvironment(),
                         .stdout_file = log,
                         .stderr_file = log})
      .Wait()
      .exit_code;
}

// The JSON of a 200 answer; anything else is noted in `trouble` (for the failure message).
std::optional<json> GetJson(httplib::Client& http, const std::string& path, std::string& trouble) {
  auto res = http.Get(path);
  if (!res) {
    trouble = path + ": " + httplib::to_string(res.error());
    return std::nullopt;
  }
  if (res->status != 200) {
    trouble = path + ": HTTP " + std::to_string(res->status) + " " + res->body;
    return std::nullopt;
  }
  json doc = json::parse(res->body, nullptr, false);
  if (doc.is_discarded()) {
    trouble = path + ": not JSON: " + res->body.substr(0, 200);
    return std::nullopt;
  }
  return doc;
}

// A symbol whose series carries a signal and an SMA line, or "".
std::string SymbolWithSignal(httplib::Client& http, std::string& trouble) {
  const auto symbols = GetJson(http, "/api/symbols", trouble);
  if (!symbols || !(*symbols)["symbols"].is_array()) return "";
  for (const json& s : (*symbols)["symbols"]) {
    const std::string symbol = s.value("symbol", "");
    const auto series = GetJson(http, "/api/series?symbol=" + symbol, trouble);
    if (series && !(*series)["signals"].empty() && !(*series)["sma"].empty()) return symbol;
  }
  trouble = "no symbol has a signal yet";
  return "";
}

bool HasAlertWithSubject(httplib::Client& http, std::string& trouble) {
  const auto alerts = GetJson(http, "/api/alerts", trouble);
  if (!alerts || !(*alerts)["alerts"].is_array()) return false;
  for (const json& a : (*alerts)["alerts"]) {
    if (!a.value("subject", "").empty()) return true;
  }
  trouble = "no alert yet";
  return false;
}

TEST(DashboardBrowserTest, PageShowsChartSignalsAlertsStatusAndSql) {
  const fs::path peers = STOCKPIPE_PEERS_DIR;
  const fs::path script = peers.parent_path() / "serve" / "browser" / "dashboard.mjs";
  ASSERT_TRUE(fs::exists(kChromium))
      << kChromium << " is missing: install Debian's chromium (scripts/setup.sh does)";
  ASSERT_TRUE(fs::exists(peers / "node_modules" / "playwright-core" / "package.json"))
      << "playwright-core is not installed in " << peers << ": run scripts/setup.sh";
  ASSERT_TRUE(fs::exists(script)) << script;

  testing::TempDir dir;
  // Signals and alerts within a few seconds: 20 rounds a second, a 3 % spike every 40 rounds
  // on trending symbols, a short rule (10-point SMA, 5 points back, 1 % threshold) and
  // streaming signals, so an alert goes out in the batch that holds a spike rather than when a
  // scheduled run happens to look right after one.
  const std::string data = (dir.path() / "data").string();
  std::vector<std::string> args = {"--data-dir", data, "--batch-window", "0.2s", "run"};
  for (const char* arg :
       {"--producer=synthetic", "--for=5m", "--http=127.0.0.1:0", "--every=1s",
        "--INTERVAL_SEC=0.05", "--SYMBOLS=AAPL,MSFT,GOOGL", "--TRENDS=AAPL:+,MSFT:-",
        "--SPIKE_EVERY=40", "--SPIKE_PCT=3", "--SMA_WINDOW=10", "--MIN_POINTS=10",
        "--LOOKBACK_POINTS=5", "--THRESH_PCT=1", "--seed=42", "--lang=en"}) {
    args.emplace_back(arg);
  }
  // Candles at 1s and 5s make bars to zoom and pan within seconds.
  auto run = testing::Start(args, {.cwd = dir.path(),
                                   .env = {{"TRENDS_STREAMING", "true"},
                                           {"CANDLE_INTERVALS", "1s,5s,1m"}}});

  // The server names its port in the log once it listens.
  const std::regex announce(R"(serve: dashboard at (http://127\.0\.0\.1:(\d+)/))");
  std::smatch match;
  std::string log;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        log = run.StdErrSoFar();
        return std::regex_search(log, match, announce) || run.Poll();
      },
      std::chrono::seconds(30)))
      << "no 'serve: dashboard at' line; stderr:\n"
      << log;
  ASSERT_FALSE(match.empty()) << "`stockpipe run` ended early; stderr:\n" << log;
  const std::string url = match[1];
  httplib::Client http("127.0.0.1", std::stoi(match[2]));
  http.set_connection_timeout(2);
  http.set_read_timeout(10);

  // Polled, not slept: the first alert and signal appear once enough ticks went through ingest
  // and a trends run, which depends on the machine's speed; the page is checked only then so
  // that a missing marker or row is the page's fault, not the pipeline's timing.
  std::string symbol, trouble;
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(testing::Eventually(
      [&] {
        if (run.Poll()) return true;
        if (!HasAlertWithSubject(http, trouble)) return false;
        symbol = SymbolWithSignal(http, trouble);
        return !symbol.empty();
      },
      std::chrono::seconds(45)))
      << "no alert and signal from the pipeline (last: " << trouble << "); stderr:\n"
      << run.StdErrSoFar();
  ASSERT_FALSE(symbol.empty()) << "`stockpipe run` ended early; stderr:\n" << run.StdErrSoFar();

  std::cout << "pipeline: alert and signal after "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            << " s\n";

  const fs::path out = OutputDir();
  fs::create_directories(out);
  const fs::path png = out / "dashboard.png";
  fs::remove(png);
  const fs::path browser_log = dir.path() / "browser.log";
  // `timeout` bounds a hung browser; the script's own waits are far shorter.
  const int code =
      RunTool({"timeout", "-k", "5", "90", "node", script.string(), url, png.string(), symbol},
              browser_log);
  const std::string browser_output = testing::ReadFile(browser_log);
  EXPECT_EQ(code, 0) << "dashboard check in Chromium failed (" << url << ", symbol " << symbol
                     << "):\n"
                     << browser_output;
  std::cout << "browser: " << browser_output;

  // A real screenshot: a PNG of the whole page, not an empty or tiny image.
  ASSERT_TRUE(fs::exists(png)) << png;
  const std::string bytes = testing::ReadFile(png);
  ASSERT_GT(bytes.size(), 20'000u) << "screenshot too small to show the page";
  ASSERT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t(std::uint8_t(bytes[at])) << 24) |
           (std::uint32_t(std::uint8_t(bytes[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(bytes[at + 2])) << 8) | std::uint8_t(bytes[at + 3]);
  };
  EXPECT_GE(be32(16), 1000u) << "width";  // IHDR: width at 16, height at 20
  EXPECT_GE(be32(20), 800u) << "height";

  run.Signal(SIGINT);
  const auto stopped = run.Wait();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
}

}  // namespace
}  // namespace stockpipe
