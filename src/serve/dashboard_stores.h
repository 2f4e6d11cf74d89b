// The data folder's SQLite files as the dashboard reads them (serve/dashboard.cc), and as
// `stockpipe health` and `stockpipe check` read them.
//
// Every connection is SQLITE_OPEN_READONLY: nothing here writes a row. A file that does not exist
// yet (or exists without its tables yet) reads as empty and is looked for again on the next call,
// so a dashboard started before the pipeline picks the stores up once they appear. Connections go
// through sqlite::ReadOnlyUri, so a reader leaves no trace (no `-wal` / `-shm` created). Not
// thread-safe: the Dashboard serialises calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerts/outbox/outbox.h"
#include "core/clean_store.h"
#include "core/ingest_counts.h"
#include "core/result.h"
#include "core/timestamp.h"
#include "serve/dashboard_data.h"
#include "sqlite/database.h"

namespace stockpipe::serve {

// One SQLite file opened read-only on first use once it exists with `table` in it.
class ReadOnlyFile {
 public:
  // `setup` prepares each new connection before it reads (clean.db's: the `ticks` module).
  ReadOnlyFile(std::string path, std::string table, std::function<Status(sqlite3*)> setup = nullptr)
      : path_(std::move(path)), table_(std::move(table)), setup_(std::move(setup)) {}
  // A data folder's clean.db (`path`), read once its `symbols` table exists, with the `ticks`
  // module registered on each connection.
  static ReadOnlyFile Clean(std::string path);
  // The connection, or nullptr while the file (or its table) does not exist.
  Result<sqlite::Database*> Get();
  const std::string& path() const { return path_; }

  // What the connection Get() returned sees, as a key for what was read through it: equal
  // values mean nothing was committed to the file in between. Call after Get() gave a connection.
  struct Seen {
    std::uint64_t connection = 0;   // counts the connections opened
    std::int64_t data_version = 0;  // PRAGMA data_version on that connection
    bool operator==(const Seen&) const = default;
  };
  Result<Seen> Version();

  // `sql` prepared on the connection Get() returned, once, and kept as long as it. The caller
  // resets it when done: a statement left mid-way holds its read snapshot open, and the file
  // would look unchanged to it and to Version().
  Result<sqlite::Statement*> Prepared(std::string_view sql);

 private:
  std::string path_;
  std::string table_;
  std::function<Status(sqlite3*)> setup_;
  std::unique_ptr<sqlite::Database> db_;
  // On db_, finalised before it closes.
  std::map<std::string, sqlite::Statement, std::less<>> statements_;
  std::uint64_t opens_ = 0;
  // The main file as an immutable connection saw it opened (inode, size, mtime): a writer that
  // came and went since (its -wal checkpointed and deleted) changed it.
  std::string opened_as_;
};

// The embedded pipeline's data folder: stream.db (the stream numbers), clean.db (symbols, points
// and bars), state.db (state keys) and outbox.db (alerts and channel health).
class DataFolder final : public DashboardData {
 public:
  // `intervals` (the configured `[candles] intervals`) stand for what clean.db keeps until its
  // writer has recorded its own.
  explicit DataFolder(const std::string& data_dir,
                      std::vector<Interval> intervals = DefaultIntervals());

  Result<StreamNumbers> Stream(std::string_view consumer) override;
  Result<std::vector<SymbolSummary>> Symbols() override;
  Result<SymbolTotals> Totals() override;
  Result<bool> HasSymbol(std::string_view symbol) override;
  Result<std::optional<double>> LastPrice(std::string_view symbol) override;
  Result<std::vector<PricePoint>> Newest(std::string_view symbol, std::optional<Micros> from,
                                         std::optional<Micros> to, std::size_t n) override;
  Result<std::vector<PricePoint>> Before(std::string_view symbol, Micros before,
                                         std::optional<Micros> from, std::size_t n) override;
  Result<std::vector<Interval>> CandleIntervals() override;
  Result<std::vector<Candle>> Candles(const CandleQuery& query) override;
  Result<std::optional<std::string>> State(std::string_view key) override;
  Result<std::vector<AlertRow>> Alerts(std::size_t limit, std::int64_t after_id) override;
  Result<std::int64_t> NewestAlertId() override;
  // Read on this read-only connection: the outbox's own reader opens the file read-write, and
  // closing the last writable connection checkpoints a WAL that a crashed pipeline left behind.
  Result<std::vector<ChannelHealth>> Channels(const std::vector<std::string>& configured) override;
  // Each file opens (or is absent) and answers its data version; no row is read.
  Status Readable() override;

 private:
  // A value read through one file's connection, with what the connection saw then.
  template <typename T>
  struct Kept {
    std::optional<ReadOnlyFile::Seen> seen;
    T value;
  };
  struct SymbolList {
    std::vector<SymbolSummary> symbols;  // sorted by symbol
    SymbolTotals totals;
  };
  // The symbols table, read again only when clean.db changed.
  Result<const SymbolList*> SymbolsKept();

  ReadOnlyFile stream_, clean_, state_, outbox_;
  std::vector<Interval> intervals_;
  Kept<SymbolList> symbols_;
  Kept<std::pair<std::string, StreamNumbers>> stream_numbers_;  // for that consumer
  Kept<std::map<std::string, std::optional<std::string>, std::less<>>> state_values_;
  Kept<std::pair<std::vector<std::string>, std::vector<ChannelHealth>>> channels_;  // configured
};

}  // namespace stockpipe::serve
