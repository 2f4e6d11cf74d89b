// SIGKILL while a clean.db of tick rows (the layout before chunks) moves into chunks: the move is
// one transaction, so whenever `stockpipe ingest` dies the file holds either every row in the old
// table or every tick in chunks, never a mix, and a later start finishes the move with the same
// ticks. Kills land at delays from a seeded RNG after the process says the move has begun.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <random>
#include <thread>

#include "core/timestamp.h"
#include "sqlite/database.h"
#include "store/sqlite/ticks_table.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;

constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z
constexpr int kSymbols = 20, kRowsPerSymbol = 40'000;

// What the folder's ticks are, read straight from the file.
struct TicksSeen {
  bool chunks = false;  // `ticks` is the virtual table over chunks
  std::int64_t rows = 0;
  double price_sum = 0;
  std::string newest;
  bool operator==(const TicksSeen&) const = default;
};

TicksSeen Read(const fs::path& clean) {
  TicksSeen seen;
  auto db = sqlite::Database::Open(clean.string(), false);
  EXPECT_TRUE(db.ok()) << db.status().message();
  if (!db) return seen;
  EXPECT_TRUE(RegisterTicksTable((*db)->handle()).ok());
  auto schema = (*db)->Prepare("SELECT sql FROM sqlite_master WHERE name='ticks'");
  EXPECT_EQ(schema->Step(), SQLITE_ROW);
  seen.chunks = schema->Text(0).starts_with("CREATE VIRTUAL TABLE");
  auto q = (*db)->Prepare("SELECT count(*), sum(price), max(timestamp) FROM ticks");
  EXPECT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->Step(), SQLITE_ROW);
  seen.rows = q->Int(0);
  seen.price_sum = q->Double(1);
  seen.newest = std::string(q->Text(2));
  return seen;
}

// Turns the folder's new clean.db back into the layout of stockpipe before chunks, with
// kSymbols x kRowsPerSymbol ticks (and the symbols table that goes with them).
void WriteTickRows(const fs::path& clean) {
  auto db = sqlite::Database::Open(clean.string(), false);
  ASSERT_TRUE(db.ok()) << db.status().message();
  sqlite::Database& d = **db;
  ASSERT_TRUE(RegisterTicksTable(d.handle()).ok());
  ASSERT_TRUE(d.Exec("BEGIN; DROP TABLE ticks; DROP TABLE tick_chunks; DELETE FROM symbols;"
                     "CREATE TABLE ticks(symbol TEXT NOT NULL, timestamp TEXT NOT NULL, "
                     "price REAL NOT NULL, volume REAL, open REAL, high REAL, low REAL, "
                     "PRIMARY KEY(symbol, timestamp)) WITHOUT ROWID;")
                  .ok());
  auto insert = d.Prepare("INSERT INTO ticks(symbol, timestamp, price, volume) VALUES(?,?,?,?)");
  auto summary = d.Prepare("INSERT INTO symbols(symbol, rows, newest) VALUES(?,?,?)");
  for (int s = 0; s < kSymbols; ++s) {
    const std::string symbol = fmt::format("S{:02}", s);
    for (int i = 0; i < kRowsPerSymbol; ++i) {
      insert->Reset();
      insert->Bind(1, symbol)
          .Bind(2, FormatCanonical(kT0 + i * 1'000'000LL))
          .Bind(3, 100.0 + s + i / 1000.0)
          .Bind(4, i % 3 == 0 ? std::optional<double>(i) : std::nullopt);
      ASSERT_EQ(insert->Step(), SQLITE_DONE);
    }
    summary->Reset();
    summary->Bind(1, symbol)
        .Bind(2, std::int64_t{kRowsPerSymbol})
        .Bind(3, FormatCanonical(kT0 + (kRowsPerSymbol - 1) * 1'000'000LL));
    ASSERT_EQ(summary->Step(), SQLITE_DONE);
  }
  ASSERT_TRUE(d.Exec("COMMIT").ok());
}

TEST(KillMigrationTest, AKilledMoveLeavesEveryRowOrEveryChunkAndTheNextStartFinishesIt) {
  testing::TempDir dir;
  const fs::path data = dir.path() / "data";
  const testing::RunOptions options{.cwd = dir.path()};
  const auto created =
      testing::RunStockpipe({"--data-dir", data.string(), "ingest", "--once"}, options);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const fs::path clean = data / "clean.db";
  WriteTickRows(clean);
  const TicksSeen before = Read(clean);
  ASSERT_FALSE(before.chunks);
  ASSERT_EQ(before.rows, kSymbols * kRowsPerSymbol);

  std::mt19937 rng(17);
  int killed_mid_move = 0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto ingest = testing::Start({"--data-dir", data.string(), "ingest", "--once"}, options);
    // Until it says the move began (or ended: the move of an earlier attempt may have committed).
    ASSERT_TRUE(testing::Eventually([&] {
      return ingest.StdErrSoFar().find("moving CLEAN's ticks into chunks") != std::string::npos ||
             ingest.Poll();
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    ingest.Signal(SIGKILL);
    const auto ended = ingest.Wait();
    TicksSeen after = Read(clean);
    if (ended.signal == SIGKILL && !after.chunks) ++killed_mid_move;
    // Rows or chunks, the same ticks either way.
    after.chunks = before.chunks;
    EXPECT_EQ(after, before) << "attempt " << attempt;
    if (Read(clean).chunks) break;
  }
  EXPECT_GE(killed_mid_move, 1) << "no kill landed while the move ran";

  const auto finished =
      testing::RunStockpipe({"--data-dir", data.string(), "ingest", "--once"}, options);
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  TicksSeen moved = Read(clean);
  EXPECT_TRUE(moved.chunks);
  moved.chunks = before.chunks;
  EXPECT_EQ(moved, before);
  // The per-symbol counts beside the ticks still add up to them.
  auto db = sqlite::Database::Open(clean.string(), false);
  auto summed = (*db)->Prepare("SELECT sum(rows) FROM symbols");
  ASSERT_EQ(summed->Step(), SQLITE_ROW);
  EXPECT_EQ(summed->Int(0), before.rows);
}

}  // namespace
}  // namespace stockpipe
