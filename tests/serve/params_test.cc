#include "serve/params.h"

#include <gtest/gtest.h>

namespace stockpipe::serve {
namespace {

Micros Time(std::string_view text, RangeBound bound = RangeBound::kStart) {
  auto t = ParseTimeParam("to", text, bound);
  EXPECT_TRUE(std::holds_alternative<Micros>(t)) << text;
  return std::holds_alternative<Micros>(t) ? std::get<Micros>(t) : -1;
}

TEST(ParseTimeParamTest, EpochMillisecondsNameAWholeMillisecond) {
  // The API answers in ms, cutting microseconds: `to=<a point's ms>` must still include it.
  EXPECT_EQ(Time("1764081000123"), 1'764'081'000'123'000);
  EXPECT_EQ(Time("1764081000123", RangeBound::kEnd), 1'764'081'000'123'999);
  // ISO text is exact either way.
  EXPECT_EQ(Time("2025-11-25T14:30:00.123456Z", RangeBound::kEnd), 1'764'081'000'123'456);
  EXPECT_EQ(Time("2025-11-25T14:30:00Z"), 1'764'081'000'000'000);
}

TEST(ParseTimeParamTest, NotATimeIsABadRequestNamingTheParameter) {
  for (std::string_view text : {"", "yesterday", "-5", "99999999999999999999", "2025-13-01"}) {
    auto t = ParseTimeParam("from", text);
    ASSERT_TRUE(std::holds_alternative<ApiError>(t)) << text;
    const ApiError& e = std::get<ApiError>(t);
    EXPECT_EQ(e.http_status, 400);
    EXPECT_EQ(e.code, "bad_request");
    EXPECT_TRUE(e.message.starts_with("from: not a time")) << e.message;
  }
}

TEST(ParseCandlesParamsTest, DefaultsAndTheParametersGiven) {
  QueryParams params;
  ParseQueryText("symbol=brk.b", params);
  auto plain = ParseCandlesParams(params);
  ASSERT_TRUE(std::holds_alternative<CandlesRequest>(plain));
  const auto& r = std::get<CandlesRequest>(plain);
  EXPECT_EQ(r.symbol, "BRK.B");  // as ingest keeps it
  EXPECT_EQ(r.interval, "");     // the dashboard picks the shortest kept
  EXPECT_EQ(r.limit, 500u);
  EXPECT_FALSE(r.from || r.to);

  params.clear();
  ParseQueryText("symbol=AAPL&interval=5m&from=1764081000123&to=2025-11-26&limit=10000", params);
  auto full = ParseCandlesParams(params);
  ASSERT_TRUE(std::holds_alternative<CandlesRequest>(full));
  const auto& f = std::get<CandlesRequest>(full);
  EXPECT_EQ(f.interval, "5m");
  EXPECT_EQ(f.from, Micros{1'764'081'000'123'000});
  EXPECT_EQ(f.to, Micros{1'764'115'200'000'000});
  EXPECT_EQ(f.limit, kMaxCandlesLimit);
}

TEST(ParseCandlesParamsTest, BadOnesAreBadRequestsNamingTheParameter) {
  for (const auto& [query, names] :
       std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"", "symbol:"},
           {"symbol=A%20B", "symbol:"},
           {"symbol=AAPL&limit=10001", "limit:"},
           {"symbol=AAPL&limit=0", "limit:"},
           {"symbol=AAPL&from=soon", "from:"},
           {"symbol=AAPL&from=2026-01-02&to=2026-01-01", "from ("}}) {
    QueryParams params;
    ParseQueryText(query, params);
    auto r = ParseCandlesParams(params);
    ASSERT_TRUE(std::holds_alternative<ApiError>(r)) << query;
    EXPECT_EQ(std::get<ApiError>(r).http_status, 400) << query;
    EXPECT_TRUE(std::get<ApiError>(r).message.starts_with(names))
        << query << ": " << std::get<ApiError>(r).message;
  }
}

TEST(DecodeUrlTest, PercentEscapesAndPlusOnlyWhereAsked) {
  EXPECT_EQ(DecodeUrl("/api/%73tatus", false), "/api/status");
  EXPECT_EQ(DecodeUrl("a+b%20c", true), "a b c");
  EXPECT_EQ(DecodeUrl("a+b", false), "a+b") << "a path keeps its plus";
  EXPECT_EQ(DecodeUrl("%2B%2b", true), "++");
  // Malformed escapes stay as they were sent.
  EXPECT_EQ(DecodeUrl("100%", true), "100%");
  EXPECT_EQ(DecodeUrl("%zz%4", true), "%zz%4");
}

TEST(ParseQueryTextTest, NamesAndValuesDecodedAndRepeatsKeptInOrder) {
  QueryParams params;
  ParseQueryText("sql=SELECT+1%2C+2&limit=5&flag&&limit=6&e=", params);
  ASSERT_EQ(params.count("sql"), 1u);
  EXPECT_EQ(params.find("sql")->second, "SELECT 1, 2");
  ASSERT_EQ(params.count("limit"), 2u);
  EXPECT_EQ(params.find("limit")->second, "5") << "the first one given";
  EXPECT_EQ(params.find("flag")->second, "");
  EXPECT_EQ(params.find("e")->second, "");
  EXPECT_EQ(params.size(), 5u);
}

}  // namespace
}  // namespace stockpipe::serve
