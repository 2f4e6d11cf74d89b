// GROUP BY / DISTINCT over the archive table must answer exactly what SQLite answers over the same
// rows in an ordinary table: many objects and symbols, plain objects (read straight into their
// groups) beside objects the plain reader refuses (escapes, non-ASCII symbols: read by simdjson),
// irregular values (numbers as symbols, NULL and missing members, integer, text and exponent
// prices). ScanLog says which scans the table answered in group order, so the test also proves the
// grouped scan ran where it should and did not where SQLite must sort itself.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <variant>

#include "archive/local/file_archive.h"
#include "codec/gzip.h"
#include "query/archive_table.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

using Value = std::variant<std::monostate, std::int64_t, double, std::string>;  // NULL first

// A JSON value for `v`; nullopt leaves the member out.
std::string Json(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "null";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  std::string out = "\"";
  for (char c : std::get<std::string>(v)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void Bind(sqlite3_stmt* stmt, int index, const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    sqlite3_bind_int64(stmt, index, *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    sqlite3_bind_double(stmt, index, *d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(stmt, index);
  }
}

class ArchiveGroupingTest : public ::testing::Test {
 protected:
  static constexpr int kDays = 4, kObjectsPerDay = 9;

  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    ASSERT_TRUE(query::RegisterArchiveModule(db_, archive_, log_).ok());
    Exec("CREATE VIRTUAL TABLE raw USING stockpipe_archive(raw)");
    // No declared types: a row keeps the type the archive table gives it (an integer symbol
    // stays an integer), as the virtual table's values do.
    Exec("CREATE TABLE plain(symbol, timestamp, price, dt)");
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db_, "INSERT INTO plain VALUES (?1, ?2, ?3, ?4)", -1, &insert, nullptr),
        SQLITE_OK);
    std::mt19937 random(20251125);
    const auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
    // Symbols the plain reader refuses make the whole object go through simdjson.
    const std::vector<Value> special = {std::string("ÄPFEL"),    std::string("Zürich"),
                                        std::string("A\"Q"),     std::string("back\\slash"),
                                        std::string("tab\tsym"), std::string(""),
                                        std::int64_t{7},         2.5,
                                        std::monostate{}};
    int n = 0;
    for (int day = 0; day < kDays; ++day) {
      const std::string dt = fmt::format("2025-08-{:02}", 11 + day);
      for (int object = 0; object < kObjectsPerDay; ++object) {
        const bool irregular = object % 3 == 0;
        std::string lines;
        const int count = 200 + pick(400);
        for (int i = 0; i < count; ++i, ++n) {
          Value symbol = std::string(fmt::format("S{:03}", pick(160)));
          const bool missing_symbol = irregular && pick(50) == 0;
          if (irregular && pick(10) == 0) symbol = special[static_cast<std::size_t>(pick(9))];
          if (!irregular && pick(40) == 0) symbol = std::string(pick(2) ? "" : "7");
          if (missing_symbol) symbol = std::monostate{};
          Value price;
          switch (pick(12)) {
            case 0:  // an integer in a REAL column reads as a real
              price = static_cast<double>(pick(300));
              break;
            case 1:  // 17 significant digits: from_chars, not the short fast path
              price = 1.0 / (3 + pick(50));
              break;
            case 2:
              price = std::monostate{};
              break;
            case 3:
              price = pick(4) == 0 ? Value(std::string("12.5")) : Value(-(1 + pick(900)) / 4.0);
              break;
            default:  // cents, as the producers write them
              price = pick(100000) / 100.0;
              break;
          }
          const bool missing_price = pick(60) == 0;
          const std::string timestamp =
              fmt::format("2025-08-{:02}T10:{:02}:{:02}Z", 11 + day, pick(60), pick(60));
          std::string line = "{";
          if (!missing_symbol) line += "\"symbol\":" + Json(symbol) + ",";
          line += "\"timestamp\":\"" + timestamp + "\"";
          // Now and then as an exponent, a form the plain reader hands to from_chars.
          const auto* d = std::get_if<double>(&price);
          const std::string price_text =
              d && pick(20) == 0 ? fmt::format("{:.10e}", *d) : Json(price);
          if (!missing_price) line += ",\"price\":" + price_text;
          // Members whose names start like or are cut from a column's: not that column.
          if (pick(25) == 0) line += R"(,"symbolic":"ZZZ","pric":1,"price_":2)";
          lines += line + "}\n";
          Bind(insert, 1, symbol);
          sqlite3_bind_text(insert, 2, timestamp.c_str(), -1, SQLITE_TRANSIENT);
          if (missing_price) {
            sqlite3_bind_null(insert, 3);
          } else if (d) {  // the value of the text just written
            sqlite3_bind_double(insert, 3, std::stod(price_text));
          } else {
            Bind(insert, 3, price);
          }
          sqlite3_bind_text(insert, 4, dt.c_str(), -1, SQLITE_TRANSIENT);
          ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE) << sqlite3_errmsg(db_);
          sqlite3_reset(insert);
        }
        ASSERT_TRUE(archive_
                        .Put(fmt::format("raw/dt={}/shard-{:06}-{}.jsonl.gz", dt, object, n),
                             *GzipCompress(lines))
                        .ok());
      }
    }
    sqlite3_finalize(insert);
  }
  void TearDown() override { sqlite3_close(db_); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error ? error : "");
  }

  // Rows as text, each value with its type; reals exact unless `digits` asks for fewer (sums
  // depend on the order rows are added in).
  std::vector<std::vector<std::string>> Run(const std::string& sql, int digits = 0) {
    std::vector<std::vector<std::string>> rows;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_NULL:
            row.push_back("null");
            break;
          case SQLITE_INTEGER:
            row.push_back(fmt::format("int:{}", sqlite3_column_int64(stmt, i)));
            break;
          case SQLITE_FLOAT: {
            const double d = sqlite3_column_double(stmt, i);
            std::uint64_t bits;
            std::memcpy(&bits, &d, 8);
            row.push_back(digits ? fmt::format("real:{:.{}g}", d, digits)
                                 : fmt::format("real:{:016x}", bits));
            break;
          }
          default:
            row.push_back(fmt::format("text:{}",
                                      reinterpret_cast<const char*>(sqlite3_column_text(stmt, i))));
        }
      }
      rows.push_back(std::move(row));
    }
    EXPECT_EQ(rc, SQLITE_DONE) << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return rows;
  }

  // `sql` over the archive (`T` = raw) and over the plain table (`T` = plain).
  std::pair<std::vector<std::vector<std::string>>, std::vector<std::vector<std::string>>> Both(
      const std::string& sql, int digits = 0) {
    const auto over = [&](std::string_view table) {
      std::string text = sql;
      for (auto at = text.find("{T}"); at != std::string::npos; at = text.find("{T}")) {
        text.replace(at, 3, table);
      }
      return Run(text, digits);
    };
    return {over("raw"), over("plain")};
  }

  // Expects equal results and says whether the archive table answered in group order.
  bool Grouped(const std::string& sql, int digits = 0) {
    const std::uint64_t before = log_.grouped_scans;
    const auto [archive, plain] = Both(sql, digits);
    EXPECT_FALSE(plain.empty()) << sql;
    EXPECT_EQ(archive, plain) << sql;
    return log_.grouped_scans > before;
  }

  testing::TempDir dir_;
  FileArchive archive_{dir_.path()};
  query::ScanLog log_;
  sqlite3* db_ = nullptr;
};

TEST_F(ArchiveGroupingTest, TheIssueQueryRunsGroupedAndMatches) {
  const std::string sql = "SELECT symbol, MAX(price) AS max_price FROM {T} GROUP BY symbol";
  EXPECT_TRUE(Grouped(sql));
  // Every record was read, some objects by simdjson (escapes, non-ASCII), most by the plain
  // reader: both ways into the groups are in the comparison.
  const auto total = Run("SELECT count(*) FROM plain");
  EXPECT_EQ(fmt::format("int:{}", log_.records), total[0][0]);
  EXPECT_GT(log_.simdjson_objects, 0u);
  EXPECT_LT(log_.simdjson_objects, static_cast<std::uint64_t>(kDays * kObjectsPerDay));
  // SQLite kept no sorter of its own.
  std::string plan;
  for (const auto& row :
       Run("EXPLAIN QUERY PLAN SELECT symbol, MAX(price) FROM raw GROUP BY symbol"))
    plan += row.back();
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST_F(ArchiveGroupingTest, AggregatesKeysFiltersAndHavingMatch) {
  EXPECT_TRUE(
      Grouped("SELECT symbol, count(*), count(price), min(price), max(price), "
              "typeof(max(price)), max(timestamp) FROM {T} GROUP BY symbol"));
  EXPECT_TRUE(
      Grouped("SELECT symbol, sum(price), avg(price), total(price) FROM {T} GROUP BY symbol", 12));
  EXPECT_TRUE(Grouped("SELECT dt, count(*), min(price), max(symbol) FROM {T} GROUP BY dt"));
  EXPECT_TRUE(Grouped("SELECT dt, count(*) FROM {T} GROUP BY dt"));  // no json column read
  EXPECT_TRUE(Grouped("SELECT symbol, dt, count(*), max(price) FROM {T} GROUP BY symbol, dt"));
  EXPECT_TRUE(Grouped("SELECT dt, symbol, count(*), min(timestamp) FROM {T} GROUP BY dt, symbol"));
  // The archive's price column is REAL, the plain one has no affinity: a text price would compare
  // as a number with 50 in one and as text in the other, so the filter keeps to real prices.
  EXPECT_TRUE(
      Grouped("SELECT symbol, count(*), max(price) FROM {T} WHERE dt >= '2025-08-13' "
              "AND typeof(price) = 'real' AND price > 50 GROUP BY symbol"));
  EXPECT_TRUE(
      Grouped("SELECT symbol, count(*) FROM {T} WHERE dt = '2025-08-12' GROUP BY symbol "
              "HAVING count(*) > 5 AND max(price) < 990"));
  // Numeric and two-column keys go through the encoded-key map.
  EXPECT_TRUE(
      Grouped("SELECT price, typeof(price), count(*), max(symbol) FROM {T} GROUP BY price"));
  EXPECT_TRUE(Grouped("SELECT symbol, timestamp, count(*) FROM {T} GROUP BY symbol, timestamp"));
}

TEST_F(ArchiveGroupingTest, OrderByAndLimitSeeGroupsInOrder) {
  // SQLite 3.40 drops its ORDER BY sorter when the ORDER BY repeats the GROUP BY: groups must come
  // out sorted, ascending or descending, and LIMIT takes the first ones.
  EXPECT_TRUE(
      Grouped("SELECT symbol, max(price) FROM {T} GROUP BY symbol ORDER BY symbol LIMIT 7"));
  EXPECT_TRUE(
      Grouped("SELECT symbol, max(price) FROM {T} GROUP BY symbol ORDER BY symbol DESC LIMIT 7"));
  EXPECT_TRUE(
      Grouped("SELECT dt, symbol, count(*) FROM {T} GROUP BY dt, symbol "
              "ORDER BY dt DESC, symbol DESC LIMIT 20"));
  EXPECT_TRUE(
      Grouped("SELECT symbol, MAX(price) AS max_price FROM {T} GROUP BY symbol "
              "ORDER BY max_price DESC, symbol LIMIT 10"));
}

TEST_F(ArchiveGroupingTest, GroupConcatAndDistinctMatchAsSets) {
  // Within a group the rows come in object order, not insertion order: compare as sets.
  const auto split_sorted = [](std::vector<std::vector<std::string>> rows) {
    for (auto& row : rows) {
      std::vector<std::string> parts;
      std::string& text = row.back();
      for (std::size_t at = 0; at <= text.size();) {
        const std::size_t bar = std::min(text.find('|', at), text.size());
        parts.push_back(text.substr(at, bar - at));
        at = bar + 1;
      }
      std::sort(parts.begin(), parts.end());
      text = fmt::format("{}", fmt::join(parts, "|"));
    }
    return rows;
  };
  const std::uint64_t before = log_.grouped_scans;
  auto [archive, plain] = Both(
      "SELECT symbol, group_concat(price, '|') FROM {T} WHERE dt < '2025-08-13' "
      "GROUP BY symbol");
  EXPECT_GT(log_.grouped_scans, before);
  EXPECT_EQ(split_sorted(archive), split_sorted(plain));

  for (const std::string sql :
       {"SELECT DISTINCT symbol FROM {T}", "SELECT DISTINCT dt, symbol FROM {T}"}) {
    const std::uint64_t scans = log_.grouped_scans;
    auto [a, p] = Both(sql);
    EXPECT_GT(log_.grouped_scans, scans) << sql;
    std::sort(a.begin(), a.end());
    std::sort(p.begin(), p.end());
    EXPECT_EQ(a, p) << sql;
  }
}

TEST_F(ArchiveGroupingTest, SqliteSortsItselfWhenTheTableCannotGroup) {
  // Another collation, an expression, the hidden `extra` column: the table must not claim the
  // order, and the answers still match.
  EXPECT_FALSE(
      Grouped("SELECT symbol COLLATE NOCASE, count(*) FROM {T} GROUP BY symbol COLLATE "
              "NOCASE"));
  EXPECT_FALSE(Grouped("SELECT lower(symbol), max(price) FROM {T} GROUP BY lower(symbol)"));
  EXPECT_FALSE(Grouped("SELECT symbol, max(price) FROM {T} GROUP BY +symbol"));
  EXPECT_FALSE(Grouped("SELECT count(*), max(price) FROM {T}"));
}

}  // namespace
}  // namespace stockpipe
