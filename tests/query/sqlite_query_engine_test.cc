// The SQLite query engine over a data folder the test writes itself: RAW objects in three
// partitions, quarantine objects, a CLEAN store. Expected answers are computed from what the test
// wrote, not by another SQL engine.
#include "query/sqlite_query_engine.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "archive/local/file_archive.h"
#include "codec/gzip.h"
#include "codec/json_write.h"
#include "core/record.h"
#include "query/result_format.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

// Collects a result as text, for assertions.
struct Collect final : RowSink {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<Cell::Type>> types;
  Status Columns(std::span<const std::string> n) override {
    names.assign(n.begin(), n.end());
    return Status::Ok();
  }
  Status Row(std::span<const Cell> cells) override {
    std::vector<std::string> row;
    std::vector<Cell::Type> t;
    for (const Cell& c : cells) {
      row.push_back(c.type == Cell::Type::kNull ? "<null>" : CellText(c));
      t.push_back(c.type);
    }
    rows.push_back(std::move(row));
    types.push_back(std::move(t));
    return Status::Ok();
  }
};

struct Written {
  std::string symbol;
  std::string timestamp;
  double price;
};

class QueryEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FileArchive archive(dir_.path());
    // Three days, two objects each (different shards), prices from a fixed formula so every
    // maximum is known.
    const std::vector<std::string> days = {"2025-08-12", "2025-08-13", "2025-08-14"};
    const std::vector<std::string> symbols = {"AAPL", "MSFT", "TSLA", "NVDA"};
    int n = 0;
    for (const std::string& day : days) {
      for (int shard = 0; shard < 2; ++shard) {
        std::string lines;
        const int count = 150 + 37 * shard + static_cast<int>(day.back() - '0');
        for (int i = 0; i < count; ++i, ++n) {
          Written w{symbols[static_cast<std::size_t>((i + shard) % 4)],
                    fmt::format("{}T{:02}:{:02}:{:02}.{:06}Z", day, i / 3600 % 24, i / 60 % 60,
                                i % 60, shard),
                    100.0 + ((n * 7919) % 1000) / 100.0};
          Tick t{w.symbol, 0, w.price, i % 10 == 0 ? R"(,"volume":)" + std::to_string(i) : ""};
          lines +=
              fmt::format(R"({{"symbol":"{}","timestamp":"{}","price":)", w.symbol, w.timestamp);
          AppendShortestDouble(w.price, lines);
          lines += t.extras + "}\n";
          written_[day].push_back(w);
        }
        const std::string key = fmt::format("raw/dt={}/shard-{:06}-{:020}-{:020}.jsonl.gz", day,
                                            shard, n - count + 1, n);
        ASSERT_TRUE(archive.Put(key, *GzipCompress(lines)).ok());
        keys_[day].push_back(key);
      }
    }
    const std::string rejected =
        R"({"reason":"malformed_json","message":"bad","shard":"shard-000001","sequence":"7",)"
        R"("arrival":"2025-08-13T10:00:00.000000Z","record":"{oops"})"
        "\n"
        R"({"reason":"price_not_positive","message":"price must be > 0","shard":"shard-000002",)"
        R"("sequence":"9","arrival":"2025-08-13T10:00:01.000000Z","record":"{\"price\":-1}"})"
        "\n";
    ASSERT_TRUE(
        archive.Put("rejected/dt=2025-08-13/shard-000001-1-9.jsonl.gz", *GzipCompress(rejected))
            .ok());
    auto clean = SqliteCleanStore::Open((dir_.path() / "clean.db").string());
    ASSERT_TRUE(clean.ok()) << clean.error();
    std::vector<Tick> ticks = {{"AAPL", 1'755'182'292'000'000, 225.11, ""},
                               {"AAPL", 1'755'182'293'000'000, 225.5, ""},
                               {"MSFT", 1'755'182'293'000'000, 410.25, ""}};
    ASSERT_TRUE((*clean)->Upsert(ticks).ok());
  }

  std::unique_ptr<SqliteQueryEngine> Engine(std::chrono::milliseconds limit = {}) {
    auto engine = SqliteQueryEngine::Open({dir_.str(), limit});
    EXPECT_TRUE(engine.ok()) << engine.error();
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  QueryOutcome Run(std::string_view sql, Collect& out) {
    auto engine = Engine();
    return engine->Run(sql, out);
  }

  std::size_t Total() const {
    std::size_t n = 0;
    for (const auto& [day, rows] : written_) n += rows.size();
    return n;
  }

  testing::TempDir dir_;
  std::map<std::string, std::vector<Written>> written_;
  std::map<std::string, std::vector<std::string>> keys_;
};

TEST_F(QueryEngineTest, ShowTablesListsRawRejectedAndClean) {
  Collect out;
  const QueryOutcome r = Run("SHOW TABLES;", out);
  ASSERT_TRUE(r.ok()) << r.status.message();
  std::set<std::string> tables;
  for (const auto& row : out.rows) tables.insert(row[1] + "." + row[0]);
  EXPECT_TRUE(tables.count("stock_raw_db.raw"));
  EXPECT_TRUE(tables.count("stock_raw_db.rejected"));
  EXPECT_TRUE(tables.count("clean.ticks"));
  EXPECT_TRUE(r.stats.objects_opened.empty());
}

TEST_F(QueryEngineTest, SelectStarLimitTenReturnsTenRawRows) {
  Collect out;
  const QueryOutcome r = Run("SELECT * FROM stock_raw_db.raw LIMIT 10;", out);
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(out.names, (std::vector<std::string>{"symbol", "timestamp", "price", "dt"}));
  ASSERT_EQ(out.rows.size(), 10u);
  // Objects are read in key order: the first rows are the first object's first lines.
  const Written& first = written_["2025-08-12"][0];
  EXPECT_EQ(out.rows[0][0], first.symbol);
  EXPECT_EQ(out.rows[0][1], first.timestamp);
  EXPECT_EQ(out.types[0][2], Cell::Type::kReal);
  EXPECT_EQ(std::stod(out.rows[0][2]), first.price);
  EXPECT_EQ(out.rows[0][3], "2025-08-12");
}

TEST_F(QueryEngineTest, MaxPriceGroupBySymbolMatchesWhatWasWritten) {
  std::map<std::string, double> expected;
  for (const auto& [day, rows] : written_) {
    for (const Written& w : rows) expected[w.symbol] = std::max(expected[w.symbol], w.price);
  }
  Collect out;
  const QueryOutcome r =
      Run("SELECT symbol, MAX(price) AS max_price FROM stock_raw_db.raw GROUP BY symbol;", out);
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(out.names, (std::vector<std::string>{"symbol", "max_price"}));
  std::map<std::string, double> got;
  for (const auto& row : out.rows) got[row[0]] = std::stod(row[1]);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(r.stats.records_scanned, Total());
}

TEST_F(QueryEngineTest, GroupedScansMatchWhatWasWrittenInEveryOrder) {
  // GROUP BY on archive columns is answered by a grouped scan (no SQLite sorter): counts, sums
  // and the requested order must still be exact.
  std::map<std::pair<std::string, std::string>, std::pair<int, double>> expected;
  for (const auto& [day, rows] : written_) {
    for (const Written& w : rows) {
      auto& [count, top] = expected[{day, w.symbol}];
      ++count;
      top = std::max(top, w.price);
    }
  }
  Collect out;
  QueryOutcome r =
      Run("SELECT dt, symbol, count(*), max(price) FROM raw GROUP BY dt, symbol "
          "ORDER BY dt DESC, symbol",
          out);
  ASSERT_TRUE(r.ok()) << r.status.message();
  std::vector<std::vector<std::string>> want;  // dt descending, symbol ascending within a day
  for (auto day = written_.rbegin(); day != written_.rend(); ++day) {
    for (const auto& [key, value] : expected) {
      if (key.first != day->first) continue;
      std::string top;
      AppendShortestDouble(value.second, top);
      want.push_back({key.first, key.second, std::to_string(value.first), top});
    }
  }
  EXPECT_EQ(out.rows, want);

  Collect symbols;
  r = Run("SELECT DISTINCT symbol FROM stock_raw_db.raw", symbols);
  ASSERT_TRUE(r.ok()) << r.status.message();
  std::set<std::string> distinct;
  for (const auto& row : symbols.rows) distinct.insert(row[0]);
  EXPECT_EQ(symbols.rows.size(), 4u);
  EXPECT_EQ(distinct, (std::set<std::string>{"AAPL", "MSFT", "NVDA", "TSLA"}));

  Collect descending;
  r = Run("SELECT symbol, count(*) FROM raw GROUP BY symbol ORDER BY symbol DESC", descending);
  ASSERT_TRUE(r.ok()) << r.status.message();
  ASSERT_EQ(descending.rows.size(), 4u);
  EXPECT_EQ(descending.rows.front()[0], "TSLA");
  EXPECT_EQ(descending.rows.back()[0], "AAPL");
}

TEST_F(QueryEngineTest, CountStarCountsEveryRawRecord) {
  Collect out;
  const QueryOutcome r = Run("SELECT count(*) FROM stock_raw_db.raw;", out);
  ASSERT_TRUE(r.ok()) << r.status.message();
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0][0], std::to_string(Total()));
  EXPECT_EQ(r.stats.objects_opened.size(), 6u);
}

TEST_F(QueryEngineTest, EqualityOnDtOpensOnlyThatPartitionsObjects) {
  Collect out;
  const QueryOutcome r =
      Run("SELECT count(*), min(dt), max(dt) FROM raw WHERE dt = '2025-08-13'", out);
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(out.rows[0][0], std::to_string(written_["2025-08-13"].size()));
  EXPECT_EQ(out.rows[0][1], "2025-08-13");
  EXPECT_EQ(r.stats.objects_opened, keys_["2025-08-13"]);
}

TEST_F(QueryEngineTest, RangeAndInOnDtPruneToTheNamedPartitions) {
  {
    Collect out;
    const QueryOutcome r = Run("SELECT count(*) FROM raw WHERE dt > '2025-08-12'", out);
    ASSERT_TRUE(r.ok()) << r.status.message();
    std::vector<std::string> expected = keys_["2025-08-13"];
    expected.insert(expected.end(), keys_["2025-08-14"].begin(), keys_["2025-08-14"].end());
    EXPECT_EQ(r.stats.objects_opened, expected);
    EXPECT_EQ(out.rows[0][0],
              std::to_string(written_["2025-08-13"].size() + written_["2025-08-14"].size()));
  }
  {
    Collect out;
    const QueryOutcome r =
        Run("SELECT count(*) FROM raw WHERE dt >= '2025-08-12' AND dt <= '2025-08-12'", out);
    ASSERT_TRUE(r.ok()) << r.status.message();
    EXPECT_EQ(r.stats.objects_opened, keys_["2025-08-12"]);
  }
  {
    Collect out;
    const QueryOutcome r = Run(
        "SELECT symbol, max(price) FROM raw WHERE dt IN ('2025-08-14', '2025-08-12', '1999-01-01') "
        "GROUP BY symbol",
        out);
    ASSERT_TRUE(r.ok()) << r.status.message();
    std::vector<std::string> expected = keys_["2025-08-12"];
    expected.insert(expected.end(), keys_["2025-08-14"].begin(), keys_["2025-08-14"].end());
    EXPECT_EQ(r.stats.objects_opened, expected);
  }
  {
    Collect out;
    const QueryOutcome r = Run("SELECT count(*) FROM raw WHERE dt = '2031-01-01'", out);
    ASSERT_TRUE(r.ok()) << r.status.message();
    EXPECT_EQ(out.rows[0][0], "0");
    EXPECT_TRUE(r.stats.objects_opened.empty());
  }
}

TEST_F(QueryEngineTest, ExtraHoldsTheOtherMembersAsJson) {
  Collect out;
  const QueryOutcome r =
      Run("SELECT count(*), sum(json_extract(extra, '$.volume')) FROM raw WHERE extra IS NOT NULL",
          out);
  ASSERT_TRUE(r.ok()) << r.status.message();
  std::size_t count = 0;
  long sum = 0;
  // Every 10th line of each object has a volume equal to its line index.
  for (const auto& [day, keys] : keys_) {
    for (std::size_t shard = 0; shard < keys.size(); ++shard) {
      const int lines = 150 + 37 * static_cast<int>(shard) + (day.back() - '0');
      for (int i = 0; i < lines; i += 10) {
        ++count;
        sum += i;
      }
    }
  }
  EXPECT_EQ(out.rows[0][0], std::to_string(count));
  EXPECT_EQ(out.rows[0][1], std::to_string(sum));
}

TEST_F(QueryEngineTest, ObjectAndLineGiveEachRecordsPlaceInTheArchive) {
  // Ordered by (object, line), in a grouped query and a sorted one: the records as written.
  Collect out;
  QueryOutcome r =
      Run("SELECT object, line, timestamp, price FROM raw WHERE dt = '2025-08-13' "
          "ORDER BY object DESC, line DESC",
          out);
  ASSERT_TRUE(r.ok()) << r.status.message();
  std::vector<std::vector<std::string>> want;
  std::size_t at = 0;
  const auto& rows = written_["2025-08-13"];
  for (const std::string& key : keys_["2025-08-13"]) {
    const int lines = 150 + 37 * static_cast<int>(&key - &keys_["2025-08-13"][0]) + 3;
    for (int line = 1; line <= lines; ++line, ++at) {
      std::string price;
      AppendShortestDouble(rows[at].price, price);
      want.push_back({key, std::to_string(line), rows[at].timestamp, price});
    }
  }
  ASSERT_EQ(at, rows.size());
  std::reverse(want.begin(), want.end());
  EXPECT_EQ(out.rows, want);
  ASSERT_FALSE(out.types.empty());
  EXPECT_EQ(out.types[0][1], Cell::Type::kInteger);

  // A GROUP BY that reads `line` is not answered by a grouped scan (its rows have left their
  // object's order), and still comes out right.
  std::map<std::string, std::pair<int, int>> lines_of;  // symbol -> lowest, highest line
  at = 0;
  for (const std::string& key : keys_["2025-08-13"]) {
    const int lines = 150 + 37 * static_cast<int>(&key - &keys_["2025-08-13"][0]) + 3;
    for (int line = 1; line <= lines; ++line, ++at) {
      auto [it, fresh] = lines_of.try_emplace(rows[at].symbol, line, line);
      it->second.first = std::min(it->second.first, line);
      it->second.second = std::max(it->second.second, line);
    }
  }
  Collect grouped;
  r = Run("SELECT symbol, min(line), max(line) FROM raw WHERE dt = '2025-08-13' GROUP BY symbol",
          grouped);
  ASSERT_TRUE(r.ok()) << r.status.message();
  std::vector<std::vector<std::string>> want_grouped;
  for (const auto& [symbol, range] : lines_of) {
    want_grouped.push_back({symbol, std::to_string(range.first), std::to_string(range.second)});
  }
  EXPECT_EQ(grouped.rows, want_grouped);

  Collect rejected;
  r = Run("SELECT line, sequence FROM rejected ORDER BY line", rejected);
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(rejected.rows, (std::vector<std::vector<std::string>>{{"1", "7"}, {"2", "9"}}));
}

TEST_F(QueryEngineTest, RejectedAndCleanAreTables) {
  Collect rejected;
  QueryOutcome r = Run(
      "SELECT reason, sequence, record, dt FROM stock_raw_db.rejected ORDER BY sequence", rejected);
  ASSERT_TRUE(r.ok()) << r.status.message();
  ASSERT_EQ(rejected.rows.size(), 2u);
  EXPECT_EQ(rejected.rows[0],
            (std::vector<std::string>{"malformed_json", "7", "{oops", "2025-08-13"}));
  EXPECT_EQ(rejected.rows[1][2], R"({"price":-1})");

  Collect clean;
  r = Run("SELECT symbol, count(*), max(price) FROM clean.ticks GROUP BY symbol", clean);
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(clean.rows, (std::vector<std::vector<std::string>>{{"AAPL", "2", "225.5"},
                                                               {"MSFT", "1", "410.25"}}));
}

TEST_F(QueryEngineTest, WritesAttachPragmaChangesAndExtensionsAreRefused) {
  auto engine = Engine();
  const std::vector<std::string> refused = {
      "INSERT INTO clean.ticks VALUES ('X', '2025-01-01T00:00:00.000000Z', 1)",
      "UPDATE ticks SET price = 0",
      "DELETE FROM clean.ticks",
      "DELETE FROM stock_raw_db.raw",
      "UPDATE stock_raw_db.rejected SET reason = ''",
      "INSERT INTO raw(symbol) VALUES ('X')",
      "DROP TABLE clean.ticks",
      "CREATE TABLE t(a)",
      "CREATE TEMP VIEW v AS SELECT 1",
      "ATTACH DATABASE '" + (dir_.path() / "other.db").string() + "' AS other",
      "DETACH clean",
      "PRAGMA journal_mode = DELETE",
      "PRAGMA clean.user_version = 7",
      "PRAGMA writable_schema = ON",
      "SELECT load_extension('/nonexistent/ext.so')",
      "VACUUM INTO '" + (dir_.path() / "copy.db").string() + "'",
      "ALTER TABLE clean.bars ADD COLUMN x",
      "REINDEX",
  };
  for (const std::string& sql : refused) {
    Collect out;
    const QueryOutcome r = engine->Run(sql, out);
    EXPECT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.failure, QueryFailure::kRefused) << sql << ": " << r.status.message();
    EXPECT_NE(r.status.message().find("read-only"), std::string::npos) << r.status.message();
  }
  // `ticks` is a virtual table over the chunks: SQLite itself refuses to alter it.
  Collect altered;
  EXPECT_FALSE(engine->Run("ALTER TABLE clean.ticks ADD COLUMN x", altered).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "other.db"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "copy.db"));
  // Nothing changed, and read-only PRAGMAs still answer.
  Collect count;
  ASSERT_TRUE(engine->Run("SELECT count(*) FROM clean.ticks", count).ok());
  EXPECT_EQ(count.rows[0][0], "3");
  Collect info;
  ASSERT_TRUE(engine->Run("PRAGMA table_info(raw)", info).ok());
  EXPECT_EQ(info.rows.size(), 4u);
}

TEST_F(QueryEngineTest, BadSqlGivesSqlitesMessageWithThePosition) {
  auto engine = Engine();
  Collect out;
  QueryOutcome r = engine->Run("SELECT symbol,\n  FROM raw", out);
  EXPECT_EQ(r.failure, QueryFailure::kInvalid);
  EXPECT_NE(r.status.message().find("near \"FROM\": syntax error"), std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.message().find("line 2, column 3"), std::string::npos) << r.status.message();

  r = engine->Run("SELECT nosuch FROM stock_raw_db.raw", out);
  EXPECT_EQ(r.failure, QueryFailure::kInvalid);
  EXPECT_NE(r.status.message().find("no such column: nosuch"), std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.message().find("column 8"), std::string::npos) << r.status.message();

  r = engine->Run("SELECT 1; SELECT 2", out);
  EXPECT_EQ(r.failure, QueryFailure::kInvalid);
  EXPECT_NE(r.status.message().find("one statement"), std::string::npos) << r.status.message();
}

TEST_F(QueryEngineTest, CorruptObjectIsAnErrorNamingIt) {
  FileArchive archive(dir_.path());
  ASSERT_TRUE(archive.Put("raw/dt=2025-08-15/shard-000000-1-1.jsonl.gz", "not gzip").ok());
  Collect out;
  const QueryOutcome r = Run("SELECT count(*) FROM raw WHERE dt = '2025-08-15'", out);
  EXPECT_EQ(r.failure, QueryFailure::kFailed);
  EXPECT_NE(r.status.message().find("raw/dt=2025-08-15/shard-000000-1-1.jsonl.gz"),
            std::string::npos)
      << r.status.message();
}

TEST_F(QueryEngineTest, RunawayQueryStopsAtTheTimeLimit) {
  auto engine = Engine(std::chrono::milliseconds(50));
  Collect out;
  const QueryOutcome r = engine->Run(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n", out);
  EXPECT_EQ(r.failure, QueryFailure::kTimedOut) << r.status.message();
}

// Issue 19: values that one step of SQLite would build for seconds (and gigabytes) fail at once
// on the length limit, naming it, and the engine answers the next statement.
TEST_F(QueryEngineTest, HugeValuesFailAtTheLengthLimitInsteadOfRunning) {
  auto engine = Engine(std::chrono::milliseconds(10'000));
  for (const char* sql :
       {"SELECT length(randomblob(1e9))", "SELECT printf('%.*c', 1e9, 'x')",
        "SELECT length(zeroblob(1e9))",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100) "
        "SELECT length(group_concat(randomblob(1000000))) FROM c"}) {
    Collect out;
    const QueryOutcome r = engine->Run(sql, out);
    EXPECT_EQ(r.failure, QueryFailure::kTooLarge) << sql << ": " << r.status.message();
    EXPECT_NE(r.status.message().find("MiB"), std::string::npos) << r.status.message();
    EXPECT_TRUE(out.rows.empty()) << sql;
  }
  Collect fine;
  ASSERT_TRUE(engine->Run("SELECT length(randomblob(1000))", fine).ok());
  EXPECT_EQ(fine.rows[0][0], "1000");
}

// printf and format keep SQLite's results (they are SQLite's, formatted on the side) while a
// width or precision over the length limit, written or from an argument, fails before it runs.
TEST_F(QueryEngineTest, PrintfFormatsAsSqliteDoesAndRefusesFieldsOverTheLimit) {
  auto engine = Engine(std::chrono::milliseconds(10'000));
  Collect out;
  ASSERT_TRUE(engine
                  ->Run("SELECT printf('%5.2f|%d|%s|%c|%-4s|%q|%,d|%%', 3.14159, 42, 'ab', 'xyz', "
                        "'z', 'it''s', 1234567), format('%*d|%.*s', 4, 7, 2, 'abc'), printf(NULL), "
                        "printf('%d'), typeof(printf('%s', NULL))",
                        out)
                  .ok());
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0][0], " 3.14|42|ab|x|z   |it''s|1,234,567|%");
  EXPECT_EQ(out.rows[0][1], "   7|ab");
  EXPECT_EQ(out.rows[0][2], "<null>");
  EXPECT_EQ(out.rows[0][3], "0");
  EXPECT_EQ(out.rows[0][4], "text");
  for (const char* sql :
       {"SELECT printf('%*c', 1e9, 'x')", "SELECT format('%.*s', 2e9, 'x')",
        "SELECT printf('%999999999d', 1)", "SELECT printf('%s %.*c', 'a', 1e8, 'x')"}) {
    Collect big;
    const QueryOutcome r = engine->Run(sql, big);
    EXPECT_EQ(r.failure, QueryFailure::kTooLarge) << sql << ": " << r.status.message();
    EXPECT_TRUE(big.rows.empty()) << sql;
  }
}

// The pointer leak of issue 19: fts3_tokenizer('simple') returned a native address.
TEST_F(QueryEngineTest, FunctionsThatExposeInternalsAreRefused) {
  auto engine = Engine();
  for (const char* sql : {"SELECT hex(fts3_tokenizer('simple'))",
                          "SELECT fts3_tokenizer('simple', x'0102030405060708')"}) {
    Collect out;
    const QueryOutcome r = engine->Run(sql, out);
    EXPECT_FALSE(r.ok()) << sql;
    EXPECT_TRUE(out.rows.empty()) << sql;
    EXPECT_NE(r.status.message().find("fts3_tokenizer"), std::string::npos) << r.status.message();
  }
}

// Reads through table-valued pragmas are reads: they answer like the PRAGMA statements.
TEST_F(QueryEngineTest, TableValuedPragmasThatOnlyReadAnswer) {
  auto engine = Engine();
  Collect info;
  const QueryOutcome r =
      engine->Run("SELECT name FROM pragma_table_info('ticks') ORDER BY cid", info);
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(info.rows,
            (std::vector<std::vector<std::string>>{
                {"symbol"}, {"timestamp"}, {"price"}, {"volume"}, {"open"}, {"high"}, {"low"}}));
  Collect list;
  ASSERT_TRUE(engine->Run("SELECT count(*) FROM pragma_database_list", list).ok());
  Collect refused;
  // A pragma that changes something has no table-valued form at all.
  EXPECT_FALSE(engine->Run("SELECT * FROM pragma_journal_mode('delete')", refused).ok());
}

TEST_F(QueryEngineTest, CsvAndJsonWritersProduceValidOutput) {
  auto engine = Engine();
  const std::string sql =
      "SELECT 'a,b' AS t, 'say \"hi\"' AS q, 1.5 AS r, 42 AS i, NULL AS n, 'x\ny' AS nl";
  std::ostringstream csv_text, json_text;
  CsvWriter csv(csv_text);
  ASSERT_TRUE(engine->Run(sql, csv).ok());
  EXPECT_EQ(csv_text.str(), "t,q,r,i,n,nl\r\n\"a,b\",\"say \"\"hi\"\"\",1.5,42,,\"x\ny\"\r\n");
  JsonWriter json(json_text);
  ASSERT_TRUE(engine->Run(sql, json).ok());
  json.Finish();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_FALSE(parser.parse(simdjson::padded_string(json_text.str())).get(root)) << json_text.str();
  simdjson::dom::array rows;
  ASSERT_FALSE(root.get(rows));
  ASSERT_EQ(rows.size(), 1u);
  simdjson::dom::element row = rows.at(0);
  EXPECT_EQ(std::string_view(row["q"]), "say \"hi\"");
  EXPECT_EQ(double(row["r"]), 1.5);
  EXPECT_EQ(int64_t(row["i"]), 42);
  EXPECT_TRUE(row["n"].is_null());
  EXPECT_EQ(std::string_view(row["nl"]), "x\ny");
}

}  // namespace
}  // namespace stockpipe
