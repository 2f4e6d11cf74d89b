// CSV layouts: which header is which layout (case, BOM, column order), quoting, and the reasons a
// row cannot be a record.
#include "producers/csv/csv_layout.h"

#include <gtest/gtest.h>

namespace stockpipe::csv {
namespace {

TEST(CsvLayout, YahooDailyAndIntradayHeadersAreOhlcWithCloseAsPrice) {
  auto daily = DetectLayout("Date,Open,High,Low,Close,Adj Close,Volume");
  ASSERT_TRUE(daily.ok()) << daily.error();
  EXPECT_EQ(daily->layout, Layout::kOhlc);
  EXPECT_EQ(daily->time, 0);
  EXPECT_EQ(daily->price, 4);  // Close, not Adj Close
  EXPECT_EQ(daily->volume, 6);
  EXPECT_EQ(daily->symbol, -1);

  auto intraday = DetectLayout(
      "\xEF\xBB\xBF"
      "datetime,OPEN,high,low,close,adj close,volume\r");
  ASSERT_TRUE(intraday.ok()) << intraday.error();
  EXPECT_EQ(intraday->layout, Layout::kOhlc);
  EXPECT_EQ(intraday->names[0], "datetime");
  EXPECT_EQ(intraday->count, 7u);
}

TEST(CsvLayout, TicksHeaderKeepsExtraColumnsInAnyOrder) {
  auto ticks = DetectLayout("price, Symbol ,venue,Timestamp");
  ASSERT_TRUE(ticks.ok()) << ticks.error();
  EXPECT_EQ(ticks->layout, Layout::kTicks);
  EXPECT_EQ(ticks->price, 0);
  EXPECT_EQ(ticks->symbol, 1);
  EXPECT_EQ(ticks->time, 3);
  EXPECT_EQ(ticks->extras, std::vector<int>{2});
}

TEST(CsvLayout, UnknownHeaderSaysWhatIsExpected) {
  auto bad = DetectLayout("when,what,how much");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("'when,what,how much'"), std::string::npos) << bad.error();
  EXPECT_NE(bad.error().find("symbol,timestamp,price"), std::string::npos) << bad.error();
  EXPECT_NE(bad.error().find("Close"), std::string::npos) << bad.error();

  auto no_symbol = DetectLayout("timestamp,price");
  ASSERT_FALSE(no_symbol.ok());
  EXPECT_NE(no_symbol.error().find("lacks symbol"), std::string::npos) << no_symbol.error();
}

TEST(CsvLayout, QuotedFieldsFollowRfc4180) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvLine(R"(a, "b,c" ,"say ""hi""",,x )", f));
  EXPECT_EQ(f, (std::vector<std::string>{"a", "b,c", R"(say "hi")", "", "x"}));
  EXPECT_FALSE(SplitCsvLine(R"(a,"open)", f));
}

std::string Reason(const Columns& c, std::vector<std::string> fields) {
  auto r = ParseRow(c, fields, "AAPL");
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "";
}

TEST(CsvLayout, RowsThatCannotBeRecordsSayWhy) {
  const Columns c = *DetectLayout("Date,Open,High,Low,Close,Adj Close,Volume");
  EXPECT_EQ(Reason(c, {"2024-01-05", "null", "null", "null", "null", "null", "null"}),
            "Close is null");
  EXPECT_EQ(Reason(c, {"2024-01-05", "1", "1", "1", "1.2.3", "1", "5"}),
            "Close is not a number: '1.2.3'");
  EXPECT_EQ(Reason(c, {"2024-01-05", "1", "1", "1", "0", "1", "5"}),
            "Close must be positive, got 0");
  EXPECT_EQ(Reason(c, {"2024-02-30", "1", "1", "1", "2", "1", "5"}),
            "Date is not a date or time: '2024-02-30'");
  EXPECT_EQ(Reason(c, {"2024-01-05", "1", "1"}), "3 fields, the header has 7");
  EXPECT_EQ(Reason(c, {"2024-01-05", "1", "1", "1", "2", "1", "many"}),
            "Volume is not a count: 'many'");
  // A null volume alone leaves the bar usable, without volume.
  auto ok = ParseRow(c, {"2024-01-05", "1", "1", "1", "2", "1", "null"}, "AAPL");
  ASSERT_TRUE(std::holds_alternative<Row>(ok));
  EXPECT_EQ(RowRecord(std::get<Row>(ok)),
            R"({"symbol":"AAPL","timestamp":"2024-01-05T00:00:00Z","price":2,"source":"csv"})");
}

}  // namespace
}  // namespace stockpipe::csv
