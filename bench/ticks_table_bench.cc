// The `ticks` virtual table over tick chunks (store/sqlite/ticks_table.h) against the row table it
// replaces (issue 17's goal: `SELECT symbol, MAX(price) FROM ticks GROUP BY symbol` over 10M ticks
// at >= 10M rows/s). Writes --ticks ticks of --symbols symbols (one a second each, with volumes)
// through TickChunks::Write into one file under a temp folder, and the same rows into the old
// `ticks(symbol, timestamp, ...) WITHOUT ROWID` table beside them; then times each query on both
// (best of --repeat runs, warm; 1,000 for the one-symbol query) and prints rows/s and the ratio.
//
//   ./build/bench/stockpipe_ticks_table_bench --ticks 10000000 --symbols 50 --repeat 3
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <vector>

#include "core/timestamp.h"
#include "sqlite/database.h"
#include "store/sqlite/tick_chunks.h"
#include "store/sqlite/ticks_table.h"

using namespace stockpipe;

namespace {

struct Timed {
  double seconds = 0;
  std::int64_t rows = 0;  // rows the query returned
};

// Best of `repeat` runs of `sql`, prepared once (as the dashboard keeps its statements).
Result<Timed> Time(sqlite::Database& db, const std::string& sql, int repeat) {
  auto q = db.Prepare(sql);
  if (!q) return q.status();
  Timed best;
  for (int r = 0; r < repeat; ++r) {
    q->Reset();
    const auto start = std::chrono::steady_clock::now();
    std::int64_t rows = 0;
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW) ++rows;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (rc != SQLITE_DONE) return db.Check(rc, sql);
    if (r == 0 || s < best.seconds) best = {s, rows};
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ticks virtual table vs row table"};
  std::int64_t ticks = 10'000'000;
  int symbols = 50, repeat = 3;
  app.add_option("--ticks", ticks, "ticks written (split evenly over the symbols)");
  app.add_option("--symbols", symbols, "symbols");
  app.add_option("--repeat", repeat, "runs of each query (the best is printed)");
  CLI11_PARSE(app, argc, argv);

  const auto temp = std::filesystem::temp_directory_path() /
                    fmt::format("stockpipe-ticks-table-bench-{}", ::getpid());
  std::filesystem::create_directories(temp);
  const std::string path = (temp / "clean.db").string();
  const auto fail = [&](const std::string& message) {
    fmt::print(stderr, "{}\n", message);
    std::filesystem::remove_all(temp);
    return 1;
  };
  auto db = sqlite::Database::Open(path, true);
  if (!db) return fail(db.error());
  TicksTableStats stats;
  if (Status s = RegisterTicksTable((*db)->handle(), &stats); !s.ok()) return fail(s.message());
  if (Status s = (*db)->Exec(std::string(TickChunks::kSchema) +
                             "CREATE TABLE rows(symbol TEXT, timestamp TEXT, price REAL, "
                             "volume REAL, open REAL, high REAL, low REAL, "
                             "PRIMARY KEY(symbol, timestamp)) WITHOUT ROWID;"
                             "CREATE VIRTUAL TABLE ticks USING stockpipe_ticks");
      !s.ok()) {
    return fail(s.message());
  }

  // Written a symbol at a time in runs of 10,000 (a chunk fills, the next starts).
  const auto fill_start = std::chrono::steady_clock::now();
  {
    auto chunks = TickChunks::Open(**db);
    if (!chunks) return fail(chunks.error());
    auto insert = (*db)->Prepare("INSERT INTO rows VALUES(?1, ?2, ?3, ?4, NULL, NULL, NULL)");
    if (!insert) return fail(insert.error());
    std::mt19937_64 random(1);
    const std::int64_t per_symbol = ticks / symbols;
    constexpr Micros kStart = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
    std::vector<StoredTick> run;
    std::vector<bool> fresh;
    for (int s = 0; s < symbols; ++s) {
      const std::string symbol = fmt::format("SYM{:04}", s);
      double price = 100;
      if (Status st = (*db)->Exec("BEGIN"); !st.ok()) return fail(st.message());
      for (std::int64_t i = 0; i < per_symbol;) {
        run.clear();
        for (; i < per_symbol && run.size() < 10'000; ++i) {
          price = std::max(1.0, price * (1 + (static_cast<double>(random() % 2001) - 1000) / 1e6));
          run.push_back({kStart + i * 1'000'000 + s, price, static_cast<double>(random() % 500 + 1),
                         std::nullopt});
        }
        if (Status st = chunks->Write(symbol, run, fresh); !st.ok()) return fail(st.message());
        for (const StoredTick& t : run) {
          insert->Reset();
          insert->BindStatic(1, symbol)
              .Bind(2, std::string_view(FormatCanonical(t.timestamp)))
              .Bind(3, t.price)
              .Bind(4, t.volume);
          if (Status st = (*db)->Check(insert->Step(), "insert a row"); !st.ok()) {
            return fail(st.message());
          }
        }
      }
      if (Status st = (*db)->Exec("COMMIT"); !st.ok()) return fail(st.message());
    }
    if (Status st = (*db)->Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !st.ok()) {
      return fail(st.message());
    }
  }
  const double fill_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
  const std::int64_t written = ticks / symbols * symbols;
  fmt::print("{} ticks of {} symbols written in {:.1f} s; file {} MiB\n", written, symbols,
             fill_seconds, std::filesystem::file_size(path) >> 20);

  const std::string one = fmt::format("SYM{:04}", symbols / 2);
  const struct {
    std::string sql;
    bool per_row;  // rows/s over every tick, else latency
  } queries[] = {
      {"SELECT symbol, MAX(price) FROM {} GROUP BY symbol", true},
      {"SELECT count(*) FROM {}", true},
      {"SELECT sum(price), sum(volume) FROM {}", true},
      {fmt::format("SELECT timestamp, price FROM {{}} WHERE symbol = '{}' "
                   "ORDER BY timestamp DESC LIMIT 200",
                   one),
       false},
  };
  for (const auto& q : queries) {
    // A short query runs many times: its best is a warm one, not a lucky one.
    const int runs = q.per_row ? repeat : 1'000;
    stats = {};
    auto chunked = Time(**db, fmt::format(fmt::runtime(q.sql), "ticks"), runs);
    if (!chunked) return fail(chunked.error());
    const TicksTableStats read = stats;
    auto rows = Time(**db, fmt::format(fmt::runtime(q.sql), "rows"), runs);
    if (!rows) return fail(rows.error());
    fmt::print("{}\n", fmt::format(fmt::runtime(q.sql), "ticks"));
    if (q.per_row) {
      fmt::print(
          "  chunks: {:8.3f} s {:7.2f} M rows/s | rows: {:8.3f} s {:7.2f} M rows/s | "
          "x{:.1f}\n",
          chunked->seconds, written / chunked->seconds / 1e6, rows->seconds,
          written / rows->seconds / 1e6, rows->seconds / chunked->seconds);
    } else {
      fmt::print(
          "  chunks: {:8.1f} us ({} chunks read of {} listed per run) | rows: {:8.1f} us | "
          "x{:.1f}\n",
          chunked->seconds * 1e6, read.chunks_read / runs, read.chunks_listed / runs,
          rows->seconds * 1e6, rows->seconds / chunked->seconds);
    }
  }
  db->reset();
  std::filesystem::remove_all(temp);
  return 0;
}
