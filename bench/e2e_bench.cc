// End-to-end bench of the embedded pipeline: a producer process fills the local stream with
// synthetic ticks while this process ingests them (RAW gzip objects fsynced + CLEAN SQLite
// commits + checkpoints), exactly as `stockpipe produce` and `stockpipe ingest` do.
//
//   ./build/bench/stockpipe_e2e_bench --records 1000000 [--prefill] [--symbols 50] [--volume]
//                                     [--candles 1m,1h,1d] [--fsync]
//
// `--volume` adds a `volume` member to every record (what Yahoo and CSV feeds send); `--candles`
// sets the intervals bars are kept at (the default's three unless given; `none`: no bars, to
// measure what bars cost in the same binary); `--fsync` is the power-cut-safe mode
// (docs/durability.md). Prints ticks/s, CPU seconds and peak RSS for each side, and ingest's CPU
// per tick by stage (Ingestor::stage_cpu; "rest" is thread start-up, allocation and waiting on
// locks). `--prefill` produces everything first and then times ingest alone.
//
// Then, in the same run, the same number of ticks go through the statement CLEAN used before its
// chunks (one B-tree row per tick: 64-row INSERTs into `ticks(symbol, timestamp, price) WITHOUT
// ROWID`, key order, 20,000-row transactions) alone, and the end-to-end figure is printed as a
// ratio to it: the pipeline against what its old CLEAN step could do with no pipeline around it.
// `--no-baseline` skips it.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <map>

#include "archive/local/file_archive.h"
#include "ingest/ingestor.h"
#include "producers/synthetic.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "stream/local/sqlite_stream.h"

namespace {

using namespace stockpipe;

double Seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
}

int Produce(const std::string& dir, std::uint64_t records, int symbols, int shards,
            std::size_t batch, bool volume, sqlite::Sync sync) {
  auto stream = SqliteStream::Open(dir + "/stream.db", shards, sync);
  if (!stream) {
    std::cerr << stream.error() << "\n";
    return 1;
  }
  SyntheticParams params;
  params.seed = 1;
  params.symbols.clear();
  for (int i = 0; i < symbols; ++i) params.symbols.push_back(fmt::format("SYM{}", i));
  SyntheticFeed feed(params);
  const auto rounds = static_cast<Micros>(records / static_cast<std::uint64_t>(symbols) + 1);
  Micros t = NowMicros() - rounds * 1'000'000;
  std::vector<StreamRecord> pending;
  std::uint64_t sent = 0;
  while (sent < records) {
    while (pending.size() < batch && sent + pending.size() < records) {
      const std::size_t from = pending.size();
      feed.NextRound(t += 1'000'000, pending);
      for (std::size_t i = from; volume && i < pending.size(); ++i) {
        pending[i].data.insert(pending[i].data.size() - 1, fmt::format(",\"volume\":{}", 100 + i));
      }
    }
    if (sent + pending.size() > records) pending.resize(records - sent);
    if (Status s = (*stream)->Put(pending); !s.ok()) {
      std::cerr << s.message() << "\n";
      return 1;
    }
    sent += pending.size();
    pending.clear();
  }
  return 0;
}

// Rows per second of the statement CLEAN wrote each tick with before the chunks, on the ticks
// the producer sends (same symbols, one per second each), in a file of its own under `dir`.
double RowStatementRate(const std::string& dir, std::uint64_t records, int symbols,
                        sqlite::Sync sync) {
  const std::string path = dir + "/rows-baseline.db";
  auto db = sqlite::Database::Open(path, true, sync);
  if (!db) return 0;
  sqlite::Database& d = **db;
  if (!d.Exec("PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=4096;"
              "CREATE TABLE ticks(symbol TEXT NOT NULL, timestamp TEXT NOT NULL, "
              "price REAL NOT NULL, volume REAL, open REAL, high REAL, low REAL, "
              "PRIMARY KEY(symbol, timestamp)) WITHOUT ROWID")
           .ok()) {
    return 0;
  }
  constexpr std::size_t kRowsPerInsert = 64, kBatch = 20'000;
  // By rows: a symbol's run ends with a shorter statement, as it did in the store.
  std::map<std::size_t, sqlite::Statement> inserts;
  const auto insert_of = [&](std::size_t rows) -> sqlite::Statement* {
    sqlite::Statement& cached = inserts[rows];
    if (cached.get() == nullptr) {
      std::string sql = "INSERT INTO ticks(symbol, timestamp, price) VALUES";
      for (std::size_t i = 0; i < rows; ++i) sql += i == 0 ? "(?,?,?)" : ",(?,?,?)";
      auto prepared = d.Prepare(sql + " ON CONFLICT DO NOTHING");
      if (!prepared) return nullptr;
      cached = std::move(*prepared);
    }
    return &cached;
  };
  std::vector<std::string> names;
  for (int i = 0; i < symbols; ++i) names.push_back(fmt::format("SYM{}", i));
  const auto per_batch = std::max<std::uint64_t>(1, kBatch / static_cast<std::size_t>(symbols));
  const Micros t0 = NowMicros() - static_cast<Micros>(records) * 1'000'000;
  const Micros start = NowMicros();
  std::uint64_t done = 0, round = 0;
  while (done < records) {
    // One batch: each symbol's run of `per_batch` seconds, in key order.
    if (!d.Exec("BEGIN").ok()) return 0;
    for (const std::string& name : names) {
      std::vector<std::string> stamps;
      for (std::uint64_t k = 0; k < per_batch; ++k) {
        stamps.push_back(FormatCanonical(t0 + static_cast<Micros>(round + k) * 1'000'000));
      }
      for (std::size_t from = 0; from < stamps.size(); from += kRowsPerInsert) {
        const std::size_t rows = std::min(kRowsPerInsert, stamps.size() - from);
        sqlite::Statement* insert = insert_of(rows);
        if (insert == nullptr) return 0;
        insert->Reset();
        for (std::size_t r = 0; r < rows; ++r) {
          const int column = static_cast<int>(r * 3);
          insert->BindStatic(column + 1, name)
              .BindStatic(column + 2, stamps[from + r])
              .Bind(column + 3, 100.0 + static_cast<double>(r));
        }
        if (insert->Step() != SQLITE_DONE) return 0;
        done += rows;
      }
    }
    if (!d.Exec("COMMIT").ok()) return 0;
    round += per_batch;
  }
  const double seconds = static_cast<double>(NowMicros() - start) / 1e6;
  inserts.clear();
  db->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  return static_cast<double>(done) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  TuneAllocatorForBatches();
  CLI::App app{"stockpipe end-to-end ingest bench"};
  std::uint64_t records = 1'000'000;
  int symbols = 50, shards = 4;
  std::size_t batch = 20'000;
  bool prefill = false, volume = false, fsync = false;
  std::string dir;
  std::vector<std::string> candles = {"1m", "1h", "1d"};
  app.add_option("--records", records)->capture_default_str();
  app.add_option("--symbols", symbols)->capture_default_str();
  app.add_option("--shards", shards)->capture_default_str();
  app.add_option("--batch", batch, "records per Put and per ingest batch")->capture_default_str();
  app.add_option("--dir", dir, "data folder (default: a new temporary one, removed after)");
  app.add_flag("--prefill", prefill, "produce everything first, then time ingest alone");
  app.add_flag("--volume", volume, "a volume member in every record");
  app.add_flag("--fsync", fsync, "the power-cut-safe mode ([ingest] fsync = true)");
  app.add_option("--candles", candles, "candle intervals")->delimiter(',');
  bool no_baseline = false;
  app.add_flag("--no-baseline", no_baseline, "skip the old row statement's rate");
  CLI11_PARSE(app, argc, argv);

  const bool temporary = dir.empty();
  if (temporary) dir = fmt::format("/tmp/stockpipe-bench-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // Create the stream before forking so both sides agree on the shard count.
  if (auto s = SqliteStream::Open(dir + "/stream.db", shards); !s) {
    std::cerr << s.error() << "\n";
    return 1;
  }

  const Micros produce_start = NowMicros();
  const pid_t child = ::fork();
  const sqlite::Sync sync = fsync ? sqlite::Sync::kFull : sqlite::Sync::kNormal;
  if (child == 0) ::_exit(Produce(dir, records, symbols, shards, batch, volume, sync));
  rusage producer_usage{};
  int status = 0;
  Micros produce_end = 0;
  if (prefill) {
    ::wait4(child, &status, 0, &producer_usage);
    produce_end = NowMicros();
  }

  auto stream = SqliteStream::Open(dir + "/stream.db", shards, sync);
  const bool no_bars = candles == std::vector<std::string>{"none"};
  auto intervals =
      no_bars ? Result<std::vector<Interval>>(std::vector<Interval>{}) : ParseIntervals(candles);
  if (!intervals) {
    std::cerr << intervals.error() << "\n";
    return 2;
  }
  auto store = SqliteCleanStore::Open(dir + "/clean.db", sync, *intervals);
  if (!stream || !store) {
    std::cerr << (!stream ? stream.error() : store.error()) << "\n";
    return 1;
  }
  FileArchive archive(dir);
  Ingestor ingestor(archive, **store);
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  const Micros ingest_start = NowMicros();
  std::uint64_t ingested = 0;
  while (ingested < records) {
    auto pass =
        ingestor.PollOnce(**stream, "ingest", ClaimLimits{batch, 0, 0}, Ingestor::kBacklogRounds);
    if (!pass) {
      std::cerr << pass.error() << "\n";
      return 1;
    }
    ingested += pass->received;
    if (pass->received == 0 && prefill) break;
  }
  // A last pass of full batches leaves ingest's settling to the next one: time it here.
  if (Status s = (*store)->Settle(); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  const Micros ingest_end = NowMicros();
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  if (!prefill) {
    ::wait4(child, &status, 0, &producer_usage);
    produce_end = NowMicros();
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "producer failed\n";
    return 1;
  }

  const double ingest_s = static_cast<double>(ingest_end - ingest_start) / 1e6;
  const double produce_s = static_cast<double>(produce_end - produce_start) / 1e6;
  const double cpu = Seconds(after.ru_utime) + Seconds(after.ru_stime) - Seconds(before.ru_utime) -
                     Seconds(before.ru_stime);
  std::uint64_t raw_bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/raw")) {
    if (e.is_regular_file()) raw_bytes += e.file_size();
  }
  std::cout << fmt::format(
      "mode            {}{}\nrecords         {} ({} symbols, {} shards, batch {})\n"
      "producer        {:.0f} ticks/s ({:.2f} s, cpu {:.2f} s, peak RSS {} MB)\n"
      "ingest          {:.0f} ticks/s ({:.2f} s wall, cpu {:.2f} s = {:.2f} us/tick, peak RSS {} "
      "MB)\n"
      "end to end      {:.0f} ticks/s (first put to last checkpoint)\n"
      "raw archive     {:.1f} MB gzip ({:.1f} bytes/tick)\n",
      prefill ? "prefilled stream, ingest alone" : "producer and ingest concurrently",
      fsync ? ", fsync per commit" : "", ingested, symbols, shards, batch, records / produce_s,
      produce_s, Seconds(producer_usage.ru_utime) + Seconds(producer_usage.ru_stime),
      producer_usage.ru_maxrss / 1024, ingested / ingest_s, ingest_s, cpu,
      cpu * 1e6 / static_cast<double>(ingested), after.ru_maxrss / 1024,
      ingested / (static_cast<double>(ingest_end - produce_start) / 1e6), raw_bytes / 1e6,
      static_cast<double>(raw_bytes) / static_cast<double>(ingested));
  const IngestStageCpu stages = ingestor.stage_cpu();
  const auto per_tick = [&](Micros spent) {
    return static_cast<double>(spent) / static_cast<double>(std::max<std::uint64_t>(ingested, 1));
  };
  const Micros staged =
      stages.claim + stages.parse + stages.compress + stages.archive + stages.clean + stages.commit;
  std::cout << fmt::format(
      "ingest stages   us CPU/tick: claim {:.2f}, parse {:.2f}, compress {:.2f}, archive {:.2f}, "
      "clean {:.2f}, checkpoint {:.2f}, rest {:.2f}\n",
      per_tick(stages.claim), per_tick(stages.parse), per_tick(stages.compress),
      per_tick(stages.archive), per_tick(stages.clean), per_tick(stages.commit),
      cpu * 1e6 / static_cast<double>(std::max<std::uint64_t>(ingested, 1)) - per_tick(staged));
  if (!no_baseline) {
    store->reset();
    const double rows = RowStatementRate(dir, records, symbols, sync);
    // Prefilled, the pipeline's figure is ingest alone (its end to end includes producing).
    const Micros from = prefill ? ingest_start : produce_start;
    const double pipeline = ingested / (static_cast<double>(ingest_end - from) / 1e6);
    std::cout << fmt::format(
        "row statement   {:.0f} rows/s (CLEAN before its chunks, alone); {} is {:.2f}x that\n",
        rows, prefill ? "ingest" : "end to end", rows > 0 ? pipeline / rows : 0);
  }
  if (temporary) std::filesystem::remove_all(dir);
  return ingested == records ? 0 : 1;
}
