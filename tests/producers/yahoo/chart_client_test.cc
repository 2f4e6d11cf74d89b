// The Yahoo chart client against a chart API served on 127.0.0.1 from response files in the API's
// documented shape: success, 429 then success, persistent 500, empty, unknown symbol, other 4xx,
// an unreachable endpoint. Waits go through an injected sleep that records them, so backoff is
// checked without any real waiting.
#include "producers/yahoo/chart_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>

#include "producers/yahoo/chart_server.h"

namespace stockpipe::yahoo {
namespace {

using stockpipe::testing::Answer;
using stockpipe::testing::ChartServer;
using stockpipe::testing::FileAnswer;

constexpr Micros kSecond = 1'000'000;

class ChartClientTest : public ::testing::Test {
 protected:
  ChartClientOptions Options(bool keep_going = true) {
    ChartClientOptions o;
    o.endpoint = server_.endpoint();
    o.seed = 7;
    o.sleep = [this, keep_going](Micros wait) {
      waits_.push_back(wait);
      return keep_going;
    };
    return o;
  }

  ChartServer server_;
  std::vector<Micros> waits_;
};

TEST_F(ChartClientTest, SuccessParsesBarsSkipsNullMinutesAndKeepsVolume) {
  server_.Script("AAPL", {FileAnswer("aapl_1.json")});
  ChartClient client(Options());
  const ChartFetch f = client.Fetch("AAPL");
  ASSERT_EQ(f.kind, FetchKind::kOk) << f.message;
  EXPECT_EQ(f.attempts, 1);
  EXPECT_TRUE(waits_.empty());
  EXPECT_EQ(f.chart.null_bars, 1u);
  ASSERT_EQ(f.chart.bars.size(), 5u);  // 6 timestamps, 14:32 without trades
  EXPECT_EQ(f.chart.bars[0].time, 1795617000);
  EXPECT_DOUBLE_EQ(f.chart.bars[0].close, 189.30999755859375);
  EXPECT_EQ(f.chart.bars[0].volume, 120034);
  EXPECT_EQ(f.chart.bars[2].time, 1795617180);  // the null minute is gone, not zero
  EXPECT_EQ(f.chart.bars[4].time, 1795617317);  // the live element as sent
  EXPECT_EQ(f.chart.meta.currency, "USD");
  EXPECT_EQ(f.chart.meta.price_hint, 2);
  EXPECT_EQ(f.chart.meta.exchange_timezone, "America/New_York");
  ASSERT_TRUE(f.chart.meta.regular.has_value());
  EXPECT_EQ(f.chart.meta.regular->start, 1795617000);
  EXPECT_EQ(f.chart.meta.regular->end, 1795640400);

  const auto seen = server_.Seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].interval, "1m");
  EXPECT_EQ(seen[0].range, "1d");
  EXPECT_NE(seen[0].user_agent.find("Mozilla/5.0"), std::string::npos) << seen[0].user_agent;
}

TEST_F(ChartClientTest, RateLimitedThenSuccessHonoursRetryAfter) {
  server_.Script("AAPL",
                 {{429, "Too Many Requests", {{"Retry-After", "7"}}}, FileAnswer("aapl_1.json")});
  ChartClient client(Options());
  const ChartFetch f = client.Fetch("AAPL");
  ASSERT_EQ(f.kind, FetchKind::kOk) << f.message;
  EXPECT_EQ(f.attempts, 2);
  EXPECT_EQ(server_.CountFor("AAPL"), 2);
  EXPECT_EQ(waits_, std::vector<Micros>{7 * kSecond});
  EXPECT_EQ(f.chart.bars.size(), 5u);
}

TEST_F(ChartClientTest, RetryAfterAsAnHttpDateIsHonoured) {
  const std::time_t at = std::time(nullptr) + 120;
  std::tm tm{};
  gmtime_r(&at, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  server_.Script("AAPL", {{503, "", {{"Retry-After", date}}}, FileAnswer("aapl_1.json")});
  ChartClient client(Options());
  ASSERT_EQ(client.Fetch("AAPL").kind, FetchKind::kOk);
  ASSERT_EQ(waits_.size(), 1u);
  // Whole seconds of the wall clock: 120 s less the time the request took, give or take one.
  EXPECT_GE(waits_[0], 115 * kSecond) << waits_[0];
  EXPECT_LE(waits_[0], 121 * kSecond) << waits_[0];
}

TEST_F(ChartClientTest, RetryAfterBeyondTheLimitIsCut) {
  server_.Script("AAPL", {{503, "", {{"Retry-After", "86400"}}}, FileAnswer("aapl_1.json")});
  ChartClientOptions o = Options();
  o.backoff.max_retry_after = 90 * kSecond;
  ChartClient client(o);
  ASSERT_EQ(client.Fetch("AAPL").kind, FetchKind::kOk);
  EXPECT_EQ(waits_, std::vector<Micros>{90 * kSecond});
}

TEST_F(ChartClientTest, BackoffWithoutRetryAfterIsJitteredWithinTheDoublingCap) {
  server_.Script("AAPL", {{429, "Too Many Requests", {}},
                          {502, "Bad Gateway", {}},
                          {503, "", {}},
                          FileAnswer("aapl_1.json")});
  ChartClientOptions o = Options();
  o.backoff.base_delay = 2 * kSecond;
  o.backoff.max_delay = 5 * kSecond;
  ChartClient client(o);
  const ChartFetch f = client.Fetch("AAPL");
  ASSERT_EQ(f.kind, FetchKind::kOk) << f.message;
  ASSERT_EQ(waits_.size(), 3u);
  const Micros caps[] = {2 * kSecond, 4 * kSecond, 5 * kSecond};  // 8 s is capped at 5 s
  for (std::size_t i = 0; i < waits_.size(); ++i) {
    EXPECT_GE(waits_[i], 0);
    EXPECT_LE(waits_[i], caps[i]) << "retry " << i;
  }
  // Full jitter: three draws from [0, cap] are not all equal to the cap (a fixed backoff would be).
  EXPECT_FALSE(waits_[0] == caps[0] && waits_[1] == caps[1] && waits_[2] == caps[2]);
}

TEST_F(ChartClientTest, PersistentServerErrorGivesUpAfterBoundedAttempts) {
  server_.Script("AAPL", {{500, "internal error", {}}});
  ChartClientOptions o = Options();
  o.backoff.max_attempts = 4;
  ChartClient client(o);
  const ChartFetch f = client.Fetch("AAPL");
  EXPECT_EQ(f.kind, FetchKind::kFailed);
  EXPECT_EQ(server_.CountFor("AAPL"), 4);
  EXPECT_EQ(waits_.size(), 3u);
  EXPECT_NE(f.message.find("AAPL"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("HTTP 500"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("gave up after 4 attempts"), std::string::npos) << f.message;
}

TEST_F(ChartClientTest, EmptyChartIsReportedWithItsMeta) {
  server_.Script("AAPL", {FileAnswer("empty.json")});
  ChartClient client(Options());
  const ChartFetch f = client.Fetch("AAPL");
  EXPECT_EQ(f.kind, FetchKind::kEmpty);
  EXPECT_NE(f.message.find("AAPL"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("empty"), std::string::npos) << f.message;
  EXPECT_TRUE(f.chart.bars.empty());
  EXPECT_TRUE(f.chart.meta.regular.has_value());  // market hours are still known
}

TEST_F(ChartClientTest, UnknownSymbolIsNamedAndNotRetried) {
  ChartClient client(Options());  // NOPE is not scripted: the server answers 404 Not Found
  const ChartFetch f = client.Fetch("NOPE");
  EXPECT_EQ(f.kind, FetchKind::kUnknownSymbol);
  EXPECT_EQ(f.message, "unknown symbol NOPE: No data found, symbol may be delisted");
  EXPECT_EQ(server_.CountFor("NOPE"), 1);
  EXPECT_TRUE(waits_.empty());
}

TEST_F(ChartClientTest, OtherClientErrorIsReportedWithYahoosWordsAndNotRetried) {
  server_.Script("AAPL", {{400,
                           R"({"chart":{"result":null,"error":{"code":"Bad Request",)"
                           R"("description":"Invalid input - interval=1m is not supported"}}})",
                           {}}});
  ChartClient client(Options());
  const ChartFetch f = client.Fetch("AAPL");
  EXPECT_EQ(f.kind, FetchKind::kFailed);
  EXPECT_EQ(server_.CountFor("AAPL"), 1);
  EXPECT_NE(f.message.find("HTTP 400"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("interval=1m is not supported"), std::string::npos) << f.message;
}

TEST_F(ChartClientTest, SymbolIsPercentEncodedInThePath) {
  server_.Script("^GSPC", {FileAnswer("aapl_1.json")});
  ChartClient client(Options());
  EXPECT_NE(client.UrlFor("^GSPC").find("/v8/finance/chart/%5EGSPC?"), std::string::npos);
  EXPECT_EQ(client.Fetch("^GSPC").kind, FetchKind::kOk);
  EXPECT_EQ(server_.CountFor("^GSPC"), 1);
}

TEST_F(ChartClientTest, RedirectIsFollowed) {
  server_.Script(
      "AAPL",
      {{302,
        "",
        {{"Location", server_.endpoint() + "/v8/finance/chart/MOVED?interval=1m&range=1d"}}}});
  server_.Script("MOVED", {FileAnswer("aapl_1.json")});
  ChartClient client(Options());
  const ChartFetch f = client.Fetch("AAPL");
  EXPECT_EQ(f.kind, FetchKind::kOk) << f.message;
  EXPECT_EQ(server_.CountFor("MOVED"), 1);
}

TEST_F(ChartClientTest, StopDuringBackoffEndsTheFetch) {
  server_.Script("AAPL", {{429, "Too Many Requests", {}}});
  ChartClient client(Options(/*keep_going=*/false));
  const ChartFetch f = client.Fetch("AAPL");
  EXPECT_EQ(f.kind, FetchKind::kStopped);
  EXPECT_EQ(server_.CountFor("AAPL"), 1);
}

TEST(ChartClientTransport, UnreachableEndpointIsRetriedThenReported) {
  // A port that was just bound and is closed again, never listened on: connections are refused.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  std::vector<Micros> waits;
  ChartClientOptions o;
  o.endpoint = fmt::format("http://127.0.0.1:{}", port);
  o.backoff.max_attempts = 3;
  o.sleep = [&](Micros w) {
    waits.push_back(w);
    return true;
  };
  ChartClient client(o);
  const ChartFetch f = client.Fetch("AAPL");
  EXPECT_EQ(f.kind, FetchKind::kFailed);
  EXPECT_EQ(f.attempts, 3);
  EXPECT_EQ(waits.size(), 2u);
  EXPECT_NE(f.message.find("cannot reach"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("gave up after 3 attempts"), std::string::npos) << f.message;
}

}  // namespace
}  // namespace stockpipe::yahoo
