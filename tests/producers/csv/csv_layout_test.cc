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

TEST(CsvLayout, BarColumnsAreFoundByNameInAnyCase) {
  auto yahoo = DetectLayout("Date,Open,High,Low,Close,Adj Close,Volume");
  ASSERT_TRUE(yahoo.ok()) << yahoo.error();
  EXPECT_EQ(yahoo->open, 1);
  EXPECT_EQ(yahoo->high, 2);
  EXPECT_EQ(yahoo->low, 3);
  EXPECT_EQ(yahoo->close, 4);  // Close, not Adj Close
  EXPECT_EQ(yahoo->Describe(),
            "OHLC bars (price = Close, time = Date; bar fields sent: open, high, low, close, "
            "volume)");

  auto shouting = DetectLayout("VOLUME,LOW,HIGH,OPEN,CLOSE,DATETIME");
  ASSERT_TRUE(shouting.ok()) << shouting.error();
  EXPECT_EQ(shouting->layout, Layout::kOhlc);
  EXPECT_EQ(shouting->time, 5);
  EXPECT_EQ(shouting->price, 4);
  EXPECT_EQ(shouting->close, 4);
  EXPECT_EQ(shouting->open, 3);
  EXPECT_EQ(shouting->high, 2);
  EXPECT_EQ(shouting->low, 1);
  EXPECT_EQ(shouting->volume, 0);

  // Only some bar columns: the others are not sent.
  auto partial = DetectLayout("timestamp,high,low,close");
  ASSERT_TRUE(partial.ok()) << partial.error();
  EXPECT_EQ(partial->open, -1);
  EXPECT_EQ(partial->volume, -1);
  EXPECT_EQ(partial->close, 3);

  // Closes alone: the price-only record of before, no `close` member beside `price`.
  auto closes = DetectLayout("Date,Close,Volume");
  ASSERT_TRUE(closes.ok()) << closes.error();
  EXPECT_EQ(closes->price, 1);
  EXPECT_EQ(closes->close, -1);
  EXPECT_EQ(closes->volume, 2);
}

TEST(CsvLayout, TicksHeaderTakesBarColumnsAsBarFields) {
  auto ticks = DetectLayout("symbol,timestamp,price,Volume,venue,Open");
  ASSERT_TRUE(ticks.ok()) << ticks.error();
  EXPECT_EQ(ticks->layout, Layout::kTicks);
  EXPECT_EQ(ticks->volume, 3);
  EXPECT_EQ(ticks->open, 5);
  EXPECT_EQ(ticks->extras, std::vector<int>{4});
  auto row = ParseRow(*ticks, {"X", "2024-01-05T10:00:00Z", "10", "", "XNAS", "9.5"}, "");
  ASSERT_TRUE(std::holds_alternative<Row>(row));
  // Lower-case names, the empty volume left out, the venue kept verbatim.
  EXPECT_EQ(RowRecord(std::get<Row>(row)),
            R"({"symbol":"X","timestamp":"2024-01-05T10:00:00Z","price":10,"open":9.5,)"
            R"("venue":"XNAS","source":"csv"})");
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

TEST(CsvLayout, EmptyOrNullBarCellsAreLeftOutNotSentAsZero) {
  const Columns c = *DetectLayout("Date,Open,High,Low,Close,Adj Close,Volume");
  auto row = ParseRow(c, {"2024-01-05", "", "NULL", "1.5", "2", "", "null"}, "AAPL");
  ASSERT_TRUE(std::holds_alternative<Row>(row));
  EXPECT_EQ(RowRecord(std::get<Row>(row)),
            R"({"symbol":"AAPL","timestamp":"2024-01-05T00:00:00Z","price":2,"low":1.5,)"
            R"("close":2,"source":"csv"})");
  // Closes alone: byte for byte the record these files always gave.
  const Columns closes = *DetectLayout("Date,Close,Volume");
  auto plain = ParseRow(closes, {"2024-01-05", "2", "7"}, "AAPL");
  ASSERT_TRUE(std::holds_alternative<Row>(plain));
  EXPECT_EQ(RowRecord(std::get<Row>(plain)),
            R"({"symbol":"AAPL","timestamp":"2024-01-05T00:00:00Z","price":2,"volume":7,)"
            R"("source":"csv"})");
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
  EXPECT_EQ(Reason(c, {"2024-01-05", "x", "1", "1", "2", "1", "5"}), "Open is not a number: 'x'");
  EXPECT_EQ(Reason(c, {"2024-01-05", "1", "0", "1", "2", "1", "5"}),
            "High must be positive, got 0");
  EXPECT_EQ(Reason(c, {"2024-01-05", "1", "1", "-1", "2", "1", "5"}),
            "Low must be positive, got -1");
  EXPECT_EQ(Reason(c, {"2024-01-05", "1", "1e999", "1", "2", "1", "5"}),
            "High is not a number: '1e999'");
  // A null volume alone leaves the bar usable, without volume.
  auto ok = ParseRow(c, {"2024-01-05", "1", "1", "1", "2", "1", "null"}, "AAPL");
  ASSERT_TRUE(std::holds_alternative<Row>(ok));
  EXPECT_EQ(RowRecord(std::get<Row>(ok)),
            R"({"symbol":"AAPL","timestamp":"2024-01-05T00:00:00Z","price":2,"open":1,"high":1,)"
            R"("low":1,"close":2,"source":"csv"})");
}

}  // namespace
}  // namespace stockpipe::csv
