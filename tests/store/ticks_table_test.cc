// The `ticks` virtual table over tick chunks answers every query exactly as the row table it
// replaces: both are filled with the same ticks (appends past chunk edges, replays overwriting
// prices, late ticks) and each query runs on both. Plus the work its plans do (one chunk for a
// symbol's newest tick), damaged chunks as errors, writes refused, and the table in an attached
// schema.
#include "store/sqlite/ticks_table.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "sqlite/database.h"
#include "store/sqlite/tick_chunks.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

constexpr Micros kT0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
constexpr Micros kMilli = 1'000;

const std::vector<std::string> kSymbols = {"AAPL", "AAP", "B", "MSFT", "ZZ", "a", "600519"};

// One result row per string, each value tagged with its type, so 1.0 and '1.0' differ.
std::vector<std::string> Rows(sqlite3* db, const std::string& sql,
                              const std::vector<std::string>& texts = {},
                              std::string* error = nullptr) {
  std::vector<std::string> rows;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) != SQLITE_OK) {
    if (error) {
      *error = sqlite3_errmsg(db);
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    }
    return rows;
  }
  for (std::size_t i = 0; i < texts.size(); ++i) {
    sqlite3_bind_text(q, static_cast<int>(i + 1), texts[i].c_str(), -1, SQLITE_TRANSIENT);
  }
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(q); ++c) {
      switch (sqlite3_column_type(q, c)) {
        case SQLITE_NULL:
          row += "N|";
          break;
        case SQLITE_INTEGER:
          row += fmt::format("I{}|", sqlite3_column_int64(q, c));
          break;
        case SQLITE_FLOAT:
          row += fmt::format("R{}|", sqlite3_column_double(q, c));
          break;
        default:
          row += fmt::format("T{}|", reinterpret_cast<const char*>(sqlite3_column_text(q, c)));
          break;
      }
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    if (error) {
      *error = sqlite3_errmsg(db);
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    }
  }
  sqlite3_finalize(q);
  return rows;
}

std::string Replace(std::string sql, std::string_view from, std::string_view to) {
  for (std::size_t at; (at = sql.find(from)) != std::string::npos;)
    sql.replace(at, from.size(), to);
  return sql;
}

std::string Quote(Micros t) {
  return "'" + FormatCanonical(t) + "'";
}

class TicksTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "clean.db").string();
    auto db = sqlite::Database::Open(path_, true);
    ASSERT_TRUE(db.ok()) << db.error();
    db_ = std::move(*db);
    ASSERT_TRUE(RegisterTicksTable(db_->handle(), &stats_).ok());
    ASSERT_TRUE(db_->Exec(TickChunks::kSchema).ok());
    ASSERT_TRUE(db_->Exec("CREATE TABLE ref(symbol TEXT, timestamp TEXT, price REAL, volume REAL, "
                          "open REAL, high REAL, low REAL, PRIMARY KEY(symbol, timestamp)) "
                          "WITHOUT ROWID; CREATE VIRTUAL TABLE ticks USING stockpipe_ticks")
                    .ok());
    Fill();
  }

  // Each symbol gets rounds of appends (up to 2.5 chunks at once) and replays: a slice of its
  // stored ticks with new prices and members, mixed with late ticks between them.
  void Fill() {
    std::mt19937_64 rng(17);
    auto chunks = TickChunks::Open(*db_);
    ASSERT_TRUE(chunks.ok()) << chunks.error();
    auto insert = db_->Prepare("INSERT OR REPLACE INTO ref VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    ASSERT_TRUE(insert.ok());
    std::vector<bool> fresh;
    ASSERT_TRUE(db_->Exec("BEGIN").ok());
    for (const std::string& symbol : kSymbols) {
      std::set<Micros> stored;
      Micros next = kT0 + static_cast<Micros>(rng() % 3'600) * 1'000'000;
      const bool members = symbol != "B";  // B's chunks hold no optional member at all
      for (int round = 0; round < 8; ++round) {
        std::set<Micros> times;
        if (round % 3 != 2 || stored.empty()) {
          const std::size_t n = 1 + rng() % 2'500;
          for (std::size_t i = 0; i < n; ++i) {
            // A grid of 250 ms, so symbols share timestamps, with an odd microsecond now and then.
            next += static_cast<Micros>(1 + rng() % 80) * 250 * kMilli;
            times.insert(next + (rng() % 7 == 0 ? 1 : 0));
          }
        } else {
          std::vector<Micros> old(stored.begin(), stored.end());
          const std::size_t from = rng() % old.size();
          const std::size_t to = std::min(old.size(), from + 1 + rng() % 1'500);
          for (std::size_t i = from; i < to; ++i) {
            if (rng() % 3 != 0) times.insert(old[i]);
            if (i + 1 < to && rng() % 4 == 0) times.insert(old[i] + 1 + rng() % 1'000);
          }
          if (times.empty()) times.insert(old[from]);
        }
        std::vector<StoredTick> run;
        for (Micros t : times) {
          StoredTick tick;
          tick.timestamp = t;
          tick.price = static_cast<double>(rng() % 100'000) / 100.0 + 0.01;
          if (members && rng() % 3 == 0) tick.volume = static_cast<double>(rng() % 1'000);
          if (members && rng() % 5 == 0) {
            tick.bar = TickBar{tick.price - 1, tick.price + 2, tick.price - 3};
          }
          run.push_back(tick);
          stored.insert(t);
          insert->Reset();
          insert->Bind(1, std::string_view(symbol))
              .Bind(2, std::string_view(FormatCanonical(t)))
              .Bind(3, tick.price)
              .Bind(4, tick.volume)
              .Bind(5, tick.bar ? std::optional<double>(tick.bar->open) : std::nullopt)
              .Bind(6, tick.bar ? std::optional<double>(tick.bar->high) : std::nullopt)
              .Bind(7, tick.bar ? std::optional<double>(tick.bar->low) : std::nullopt);
          ASSERT_EQ(insert->Step(), SQLITE_DONE);
        }
        ASSERT_TRUE(chunks->Write(symbol, run, fresh).ok());
      }
    }
    ASSERT_TRUE(db_->Exec("COMMIT").ok());
  }

  // `sql` with {t} naming the table, on both tables; `ordered` when the query fixes the order.
  void ExpectSame(const std::string& sql, bool ordered = true,
                  const std::vector<std::string>& texts = {}, sqlite3* db = nullptr,
                  const std::string& schema = "") {
    db = db ? db : db_->handle();
    auto got = Rows(db, Replace(sql, "{t}", schema + "ticks"), texts);
    auto want = Rows(db, Replace(sql, "{t}", schema + "ref"), texts);
    if (!ordered) {
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
    }
    EXPECT_EQ(got, want) << sql;
    ++queries_;
    if (!want.empty()) ++non_empty_;
  }

  // Bounds on, beside and between chunk edges, outside all ticks, prefixes and non-text values.
  std::vector<std::string> Bounds() {
    std::vector<std::string> bounds;
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db_->handle(),
                       "SELECT first, last FROM tick_chunks WHERE symbol IN ('AAPL', 'B') "
                       "ORDER BY symbol, first",
                       -1, &q, nullptr);
    for (int i = 0; sqlite3_step(q) == SQLITE_ROW; ++i) {
      if (i % 2 != 0) continue;
      for (int c = 0; c < 2; ++c) {
        const Micros t = sqlite3_column_int64(q, c);
        for (Micros d : {-1, 0, 1}) bounds.push_back(Quote(t + d));
      }
    }
    sqlite3_finalize(q);
    for (const char* b : {"'2026-01-01T05'", "'2026-01-02'", "'2026-01-01 03:00:00'", "'2026'",
                          "''", "'2025-12-31T23:59:59.999999Z'", "'2027-01-01T00:00:00.000000Z'",
                          "'Z'", "'2026-01-01T02:00:00Z'", "NULL", "0", "20260101", "1.5",
                          "x'32303236'", "CAST('2026-01-01T04' AS BLOB)"}) {
      bounds.push_back(b);
    }
    return bounds;
  }

  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<sqlite::Database> db_;
  TicksTableStats stats_;
  int queries_ = 0, non_empty_ = 0;
};

TEST_F(TicksTableTest, FullScansMatchTheRowTableInItsKeyOrder) {
  ExpectSame("SELECT * FROM {t}");
  ExpectSame("SELECT count(*) FROM {t}");
  ExpectSame("SELECT symbol FROM {t}");
  ExpectSame("SELECT timestamp, volume FROM {t}");
  ExpectSame("SELECT DISTINCT symbol FROM {t}");
  ExpectSame(
      "SELECT typeof(symbol), typeof(timestamp), typeof(price), typeof(volume), typeof(open), "
      "typeof(high), typeof(low), count(*) FROM {t} GROUP BY 1, 2, 3, 4, 5, 6, 7");
  ExpectSame("SELECT count(*), count(volume), count(open), sum(price), max(high) FROM {t}");
  ExpectSame("SELECT * FROM {t} ORDER BY symbol DESC, timestamp DESC");
  ExpectSame("SELECT * FROM {t} ORDER BY timestamp, symbol LIMIT 300");
  ExpectSame("SELECT symbol, timestamp FROM {t} ORDER BY price, symbol, timestamp LIMIT 50");
  ExpectSame("SELECT * FROM {t} WHERE symbol > 'B' AND symbol <= 'ZZ'");
  ExpectSame("SELECT * FROM {t} WHERE symbol LIKE 'a%'", false);
  ExpectSame("SELECT * FROM {t} WHERE price > 500 AND volume IS NOT NULL", false);
  EXPECT_EQ(non_empty_, queries_);
}

TEST_F(TicksTableTest, GroupsMatch) {
  ExpectSame(
      "SELECT symbol, MAX(price), MIN(price), COUNT(*), COUNT(volume), SUM(open IS NULL), "
      "MIN(timestamp), MAX(timestamp) FROM {t} GROUP BY symbol");
  ExpectSame("SELECT symbol, MAX(price) FROM {t} GROUP BY symbol ORDER BY symbol DESC");
  ExpectSame("SELECT substr(timestamp, 1, 10) AS day, count(*) FROM {t} GROUP BY day");
  ExpectSame(
      "SELECT symbol, substr(timestamp, 1, 13), avg(price) FROM {t} GROUP BY 1, 2 "
      "ORDER BY 1, 2");
  ExpectSame("SELECT symbol, count(*) FROM {t} WHERE timestamp >= '2026-01-01T06' GROUP BY symbol");
  EXPECT_EQ(non_empty_, queries_);
}

TEST_F(TicksTableTest, OneSymbolMatches) {
  for (const std::string& symbol : kSymbols) {
    const std::string s = "'" + symbol + "'";
    ExpectSame("SELECT * FROM {t} WHERE symbol = " + s);
    ExpectSame("SELECT * FROM {t} WHERE symbol = " + s + " ORDER BY timestamp DESC");
    ExpectSame("SELECT * FROM {t} WHERE symbol = " + s + " ORDER BY timestamp DESC LIMIT 7");
    ExpectSame("SELECT * FROM {t} WHERE symbol = " + s + " ORDER BY timestamp LIMIT 3 OFFSET 1500");
    ExpectSame("SELECT count(*), max(price) FROM {t} WHERE symbol = " + s);
    ExpectSame("SELECT * FROM {t} WHERE symbol = " + s + " ORDER BY symbol, timestamp DESC");
  }
  EXPECT_EQ(non_empty_, queries_);
  ExpectSame("SELECT * FROM {t} WHERE symbol = 'NOPE'");
  ExpectSame("SELECT * FROM {t} WHERE symbol = 'aapl'");
  ExpectSame("SELECT * FROM {t} WHERE symbol = 'aapl' COLLATE NOCASE", false);
  ExpectSame("SELECT * FROM {t} WHERE symbol = NULL");
  // Numbers compare with the TEXT column as text.
  ExpectSame("SELECT * FROM {t} WHERE symbol = 600519 ORDER BY timestamp DESC LIMIT 5");
  ExpectSame("SELECT * FROM {t} WHERE symbol = 600519.0");
  ExpectSame("SELECT * FROM {t} WHERE symbol IN ('AAPL', 'B') ORDER BY timestamp DESC LIMIT 40");
  ExpectSame("SELECT * FROM {t} WHERE symbol IN ('B', 'AAPL', 'NOPE') ORDER BY symbol, timestamp");
  ExpectSame("SELECT * FROM {t} WHERE symbol IN ('B', 'AAPL') ORDER BY timestamp, symbol");
}

TEST_F(TicksTableTest, EveryTimestampBoundMatches) {
  const std::vector<std::string> bounds = Bounds();
  ASSERT_GT(bounds.size(), 30u);
  for (const std::string& b : bounds) {
    for (const char* op : {">", ">=", "<", "<=", "="}) {
      const std::string where = fmt::format("timestamp {} {}", op, b);
      ExpectSame("SELECT * FROM {t} WHERE " + where, false);
      ExpectSame("SELECT symbol, timestamp, price FROM {t} WHERE " + where +
                 " ORDER BY symbol, timestamp");
      ExpectSame("SELECT * FROM {t} WHERE symbol = 'AAPL' AND " + where + " ORDER BY timestamp");
      ExpectSame("SELECT timestamp, price FROM {t} WHERE symbol = 'B' AND " + where +
                 " ORDER BY timestamp DESC LIMIT 5");
    }
  }
  // Two bounds, the tighter one winning, and the same bound twice with and without equality.
  for (std::size_t i = 0; i + 7 < bounds.size(); i += 5) {
    const std::string& a = bounds[i];
    const std::string& b = bounds[i + 7];
    ExpectSame(fmt::format("SELECT * FROM {{t}} WHERE timestamp BETWEEN {} AND {}", a, b), false);
    ExpectSame(fmt::format(
        "SELECT * FROM {{t}} WHERE symbol = 'AAPL' AND timestamp > {} AND timestamp <= {} "
        "AND timestamp >= {} ORDER BY timestamp DESC",
        a, b, a));
    ExpectSame(
        fmt::format("SELECT * FROM {{t}} WHERE symbol = 'B' AND timestamp < {} AND timestamp <= {} "
                    "AND timestamp < {}",
                    b, b, bounds[i + 3]));
  }
  // Most of them select something: the comparison is not between two empty answers.
  EXPECT_GT(non_empty_, queries_ / 2);
}

TEST_F(TicksTableTest, DashboardQueriesMatch) {
  std::vector<std::string> edges;
  for (const std::string& b : Bounds()) {
    if (b.size() == kCanonicalTimestampSize + 2) edges.push_back(b.substr(1, b.size() - 2));
  }
  for (const std::string& symbol : {std::string("AAPL"), std::string("B"), std::string("a")}) {
    ExpectSame("SELECT price FROM {t} WHERE symbol=? ORDER BY timestamp DESC LIMIT 1", true,
               {symbol});
    for (const std::string& from : {std::string(), edges[1], edges[4]}) {
      for (const std::string& to : {std::string(), edges[7], edges[10]}) {
        ExpectSame(
            "SELECT timestamp, price FROM {t} WHERE symbol=?1 AND (?2 = '' OR timestamp >= ?2) "
            "AND (?3 = '' OR timestamp <= ?3) ORDER BY timestamp DESC LIMIT ?4",
            true, {symbol, from, to, "250"});
      }
      for (const std::string& before : edges) {
        ExpectSame(
            "SELECT timestamp, price FROM {t} WHERE symbol=?1 AND timestamp < ?2 "
            "AND (?3 = '' OR timestamp >= ?3) ORDER BY timestamp DESC LIMIT ?4",
            true, {symbol, before, from, "100"});
      }
    }
  }
  EXPECT_GT(non_empty_, queries_ / 2);
}

TEST_F(TicksTableTest, JoinsWithItselfMatch) {
  ExpectSame(
      "SELECT a.symbol, a.timestamp, a.price, b.price FROM {t} a JOIN {t} b "
      "ON b.symbol = a.symbol AND b.timestamp = a.timestamp WHERE a.symbol = 'MSFT'",
      false);
  ExpectSame(
      "SELECT a.symbol, b.symbol, count(*) FROM {t} a JOIN {t} b "
      "ON a.timestamp = b.timestamp AND a.symbol <> b.symbol "
      "WHERE a.symbol = 'B' AND a.price < 30 GROUP BY 1, 2");
  ExpectSame(
      "SELECT a.symbol, b.symbol, count(*) FROM {t} a JOIN {t} b "
      "ON a.timestamp = b.timestamp AND a.symbol < b.symbol "
      "WHERE a.symbol = 'B' AND b.symbol IN ('AAPL', 'ZZ', 'a') GROUP BY 1, 2");
  // Each tick with the price before it.
  ExpectSame(
      "SELECT a.timestamp, a.price, (SELECT b.price FROM {t} b WHERE b.symbol = a.symbol AND "
      "b.timestamp < a.timestamp ORDER BY b.timestamp DESC LIMIT 1) FROM {t} a "
      "WHERE a.symbol = 'ZZ' ORDER BY a.timestamp");
  ExpectSame(
      "SELECT symbol, timestamp, price FROM {t} WHERE (symbol, timestamp) IN "
      "(SELECT symbol, max(timestamp) FROM {t} GROUP BY symbol)",
      false);
  EXPECT_EQ(non_empty_, queries_);
}

TEST_F(TicksTableTest, AttachedSchemaReadsItsOwnChunks) {
  db_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  ASSERT_TRUE(RegisterTicksTable(db).ok());
  const std::string attach = fmt::format("ATTACH '{}' AS clean", path_);
  ASSERT_EQ(sqlite3_exec(db, attach.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  ExpectSame("SELECT * FROM {t}", true, {}, db, "clean.");
  ExpectSame("SELECT symbol, MAX(price) FROM {t} GROUP BY symbol", true, {}, db, "clean.");
  ExpectSame(
      "SELECT * FROM {t} WHERE symbol = 'B' AND timestamp < '2026-01-01T05' "
      "ORDER BY timestamp DESC LIMIT 9",
      true, {}, db, "clean.");
  ExpectSame(
      "SELECT count(*) FROM {t} a JOIN {t} b ON b.symbol = a.symbol AND b.timestamp = "
      "a.timestamp",
      true, {}, db, "clean.");
  EXPECT_EQ(non_empty_, queries_);
  // The statements the table read with are finalized with it: a plain close succeeds.
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

bool PlanSorts(sqlite3* db, const std::string& sql) {
  bool sorts = false;
  for (const std::string& row : Rows(db, "EXPLAIN QUERY PLAN " + sql)) {
    if (row.find("TEMP B-TREE") != std::string::npos) sorts = true;
  }
  return sorts;
}

TEST_F(TicksTableTest, NewestTickOfASymbolReadsOneChunk) {
  const auto chunks = Rows(db_->handle(), "SELECT count(*) FROM tick_chunks WHERE symbol = 'AAPL'");
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_GE(std::stoi(chunks[0].substr(1)), 5) << "the test needs a symbol of several chunks";

  const std::string last =
      "SELECT price FROM ticks WHERE symbol = 'AAPL' ORDER BY timestamp DESC LIMIT 1";
  EXPECT_FALSE(PlanSorts(db_->handle(), last));
  stats_ = {};
  EXPECT_EQ(Rows(db_->handle(), last),
            Rows(db_->handle(),
                 "SELECT price FROM ref WHERE symbol = 'AAPL' ORDER BY timestamp DESC LIMIT 1"));
  EXPECT_EQ(stats_.chunks_read, 1u);
  EXPECT_EQ(stats_.chunks_listed, 1u);

  // Oldest first the same, and a bound in the middle reads only the chunks around it.
  stats_ = {};
  Rows(db_->handle(), "SELECT * FROM ticks WHERE symbol = 'AAPL' ORDER BY timestamp LIMIT 3");
  EXPECT_EQ(stats_.chunks_read, 1u);
  const auto middle = Rows(db_->handle(),
                           "SELECT first FROM tick_chunks WHERE symbol = 'AAPL' ORDER BY first "
                           "LIMIT 1 OFFSET 2");
  stats_ = {};
  const Micros t = std::stoll(middle[0].substr(1));
  Rows(db_->handle(), "SELECT * FROM ticks WHERE symbol = 'AAPL' AND timestamp < " + Quote(t) +
                          " ORDER BY timestamp DESC LIMIT 1");
  EXPECT_EQ(stats_.chunks_read, 1u);
  // A canonical bound starts the listing at its chunk (the one starting at it, then the one
  // before), not at the symbol's newest.
  EXPECT_EQ(stats_.chunks_listed, 2u);
  stats_ = {};
  Rows(db_->handle(), "SELECT * FROM ticks WHERE symbol = 'AAPL' AND timestamp >= " + Quote(t + 1) +
                          " ORDER BY timestamp LIMIT 1");
  EXPECT_EQ(stats_.chunks_read, 1u);
  EXPECT_EQ(stats_.chunks_listed, 1u);

  // The whole table in key order, grouped without a sorter; count(*) reads no BLOB.
  EXPECT_FALSE(PlanSorts(db_->handle(), "SELECT symbol, MAX(price) FROM ticks GROUP BY symbol"));
  EXPECT_FALSE(PlanSorts(db_->handle(), "SELECT * FROM ticks ORDER BY symbol, timestamp"));
  EXPECT_TRUE(PlanSorts(db_->handle(), "SELECT * FROM ticks ORDER BY timestamp"));
  stats_ = {};
  Rows(db_->handle(), "SELECT count(*) FROM ticks");
  EXPECT_EQ(stats_.chunks_read, 0u);
  EXPECT_GT(stats_.chunks_listed, 0u);
}

TEST_F(TicksTableTest, DamagedChunkIsAnErrorNamingItsSymbol) {
  ASSERT_TRUE(db_->Exec("UPDATE tick_chunks SET data = x'0102030405' WHERE rowid = "
                        "(SELECT rowid FROM tick_chunks WHERE symbol = 'MSFT' ORDER BY first "
                        "DESC LIMIT 1)")
                  .ok());
  for (const char* sql : {
           // The first chunk read (xFilter), and one met in the middle of a scan (xNext).
           "SELECT * FROM ticks WHERE symbol = 'MSFT' ORDER BY timestamp DESC",
           "SELECT * FROM ticks",
           "SELECT symbol, max(price) FROM ticks GROUP BY symbol",
       }) {
    std::string error;
    Rows(db_->handle(), sql, {}, &error);
    EXPECT_NE(error.find("MSFT"), std::string::npos) << sql << ": " << error;
    EXPECT_NE(error.find("damaged"), std::string::npos) << sql << ": " << error;
  }
  // Other symbols still read.
  ExpectSame("SELECT * FROM {t} WHERE symbol = 'AAPL'");
}

TEST_F(TicksTableTest, WritesAreRefused) {
  const auto before = Rows(db_->handle(), "SELECT count(*) FROM ticks");
  for (const char* sql : {"INSERT INTO ticks VALUES('X', '2026-01-01T00:00:00.000000Z', 1, "
                          "NULL, NULL, NULL, NULL)",
                          "UPDATE ticks SET price = 1", "DELETE FROM ticks"}) {
    char* error = nullptr;
    EXPECT_NE(sqlite3_exec(db_->handle(), sql, nullptr, nullptr, &error), SQLITE_OK) << sql;
    EXPECT_NE(std::string(error ? error : "").find("may not be modified"), std::string::npos)
        << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  EXPECT_EQ(Rows(db_->handle(), "SELECT count(*) FROM ticks"), before);
}

TEST_F(TicksTableTest, ViewsReadItWithAnUntrustedSchema) {
  // Innocuous: a view or trigger of the file may use it even with trusted_schema off (the
  // default of hardened builds).
  ASSERT_TRUE(db_->Exec("CREATE VIEW last_prices AS SELECT symbol, max(timestamp) AS at, price "
                        "FROM ticks GROUP BY symbol; CREATE VIEW ref_last_prices AS SELECT "
                        "symbol, max(timestamp) AS at, price FROM ref GROUP BY symbol")
                  .ok());
  ASSERT_TRUE(db_->Exec("PRAGMA trusted_schema = OFF").ok());
  const auto got = Rows(db_->handle(), "SELECT * FROM last_prices");
  EXPECT_EQ(got.size(), kSymbols.size());
  EXPECT_EQ(got, Rows(db_->handle(), "SELECT * FROM ref_last_prices"));
}

TEST_F(TicksTableTest, NeedsTheModuleAndTheChunkTable) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  ASSERT_TRUE(RegisterTicksTable(db).ok());
  ASSERT_EQ(sqlite3_exec(db, "CREATE VIRTUAL TABLE ticks USING stockpipe_ticks", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  std::string error;
  Rows(db, "SELECT * FROM ticks", {}, &error);
  EXPECT_NE(error.find("tick_chunks"), std::string::npos) << error;
  // The statements the table read with are finalized with it: a plain close succeeds.
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

}  // namespace
}  // namespace stockpipe
