// The archive table reads plain records (one flat object a line, ASCII, no escapes) without
// simdjson and everything else with it. Both readers must give the same values and types: a
// query that selects `extra` always takes simdjson, the same query without it takes the plain
// reader when the object allows, so their rows must agree value for value.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>

#include "archive/local/file_archive.h"
#include "codec/gzip.h"
#include "query/result_format.h"
#include "query/sqlite_query_engine.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

struct Collect final : RowSink {
  std::vector<std::vector<std::string>> rows;
  Status Columns(std::span<const std::string>) override { return Status::Ok(); }
  Status Row(std::span<const Cell> cells) override {
    std::vector<std::string> row;
    for (const Cell& c : cells) {
      // Reals as their bits: "same value" means the same double, not the same shortest text.
      if (c.type == Cell::Type::kReal) {
        std::uint64_t bits;
        std::memcpy(&bits, &c.real, 8);
        row.push_back(fmt::format("real:{:016x}", bits));
      } else {
        row.push_back(c.type == Cell::Type::kNull
                          ? "<null>"
                          : fmt::format("{}:{}", static_cast<int>(c.type), CellText(c)));
      }
    }
    rows.push_back(std::move(row));
    return Status::Ok();
  }
};

class PlainDecodeTest : public ::testing::Test {
 protected:
  void Put(const std::string& key, const std::string& lines) {
    FileArchive archive(dir_.path());
    ASSERT_TRUE(archive.Put(key, *GzipCompress(lines)).ok());
  }

  QueryOutcome Run(const std::string& sql, Collect& out) {
    auto engine = SqliteQueryEngine::Open({dir_.str(), {}});
    EXPECT_TRUE(engine.ok()) << engine.error();
    return (*engine)->Run(sql, out);
  }

  // Rows of `columns` read by the plain reader and by simdjson (extra selected, then dropped).
  void ExpectSameAsSimdjson(const std::string& columns, std::size_t expected_rows) {
    Collect plain, full;
    QueryOutcome r = Run("SELECT " + columns + " FROM raw", plain);
    ASSERT_TRUE(r.ok()) << r.status.message();
    r = Run("SELECT " + columns + ", extra FROM raw", full);
    ASSERT_TRUE(r.ok()) << r.status.message();
    for (auto& row : full.rows) row.pop_back();
    ASSERT_EQ(plain.rows.size(), expected_rows);
    EXPECT_EQ(plain.rows, full.rows);
  }

  testing::TempDir dir_;
};

TEST_F(PlainDecodeTest, NumbersStringsAndLiteralsMatchSimdjson) {
  // Every line plain: prices that exercise the exact-division path, the general parser, integers
  // and literals; duplicate members (the last wins), missing and unknown members, empty objects.
  const std::vector<std::string> prices = {"0.71",
                                           "0.1",
                                           "-0.0",
                                           "0",
                                           "-12",
                                           "999999999999999999",
                                           "123456789012345.6",
                                           "1e5",
                                           "1E-5",
                                           "2.5e+3",
                                           "0.30000000000000004",
                                           "2.2250738585072014e-308",
                                           "17976931348623157e292",
                                           "9007199254740993.0",
                                           "100",
                                           "3.14159265358979",
                                           "-7.25",
                                           "\"12.5\"",
                                           "true",
                                           "false",
                                           "null",
                                           "4.9406564584124654e-324"};
  std::string lines;
  for (std::size_t i = 0; i < prices.size(); ++i) {
    lines += fmt::format(R"({{"symbol":"S{}","timestamp":"t {}~\u007f","price":{}}})", i % 3, i,
                         prices[i]);
    lines += "\n";
  }
  lines += R"({"price":1.5,"venue":"X","symbol":7,"symbol":"LAST"})"
           "\n"
           R"({})"
           "\n"
           R"({"timestamp":null,"price":2,"price":"two"})";  // no final newline
  // \u007f above is written by fmt literally; make it the raw DEL byte, valid unescaped JSON.
  for (auto at = lines.find("\\u007f"); at != std::string::npos; at = lines.find("\\u007f")) {
    lines.replace(at, 6, "\x7f");
  }
  Put("raw/dt=2025-08-12/shard-000000-1-1.jsonl.gz", lines);
  ExpectSameAsSimdjson("symbol, typeof(symbol), timestamp, price, typeof(price)",
                       prices.size() + 3);
}

TEST_F(PlainDecodeTest, ObjectsThePlainReaderRefusesAreReadWhole) {
  // Each object has one line the plain reader cannot take (escape, non-ASCII, nesting, spaces,
  // a 19-digit integer, CRLF); the whole object is then read by simdjson with the same result.
  const std::vector<std::string> odd = {
      R"({"symbol":"A\"B","timestamp":"t","price":1.5})",
      "{\"symbol\":\"\xc3\xa9t\xc3\xa9\",\"timestamp\":\"t\",\"price\":2.5}",
      R"({"symbol":"N","timestamp":"t","price":1.5,"note":{"a":[1,2]}})",
      R"({ "symbol" : "SP", "timestamp":"t","price":3})",
      R"({"symbol":"BIG","timestamp":"t","price":1234567890123456789})",
      "{\"symbol\":\"CR\",\"timestamp\":\"t\",\"price\":4.75}\r",
  };
  for (std::size_t i = 0; i < odd.size(); ++i) {
    const std::string plain =
        fmt::format(R"({{"symbol":"P{}","timestamp":"t{}","price":{}.25}})", i, i, i);
    Put(fmt::format("raw/dt=2025-08-12/shard-{:06}-1-1.jsonl.gz", i),
        plain + "\n" + odd[i] + "\n" + plain + "\n");
  }
  ExpectSameAsSimdjson("symbol, timestamp, price, typeof(price), object", 3 * odd.size());
}

TEST_F(PlainDecodeTest, MalformedRecordsStillFailWithTheLine) {
  Put("raw/dt=2025-08-12/shard-000000-1-1.jsonl.gz",
      "{\"symbol\":\"A\",\"timestamp\":\"t\",\"price\":1.5}\n{\"symbol\":\"B\",\"price\":01}\n");
  Collect out;
  const QueryOutcome r = Run("SELECT symbol, price FROM raw", out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status.message().find("shard-000000-1-1.jsonl.gz: line 2"), std::string::npos)
      << r.status.message();
}

}  // namespace
}  // namespace stockpipe
