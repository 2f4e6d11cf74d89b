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
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  ReadOnlyFile(std::string path, std::string table)
      : path_(std::move(path)), table_(std::move(table)) {}
  // The connection, or nullptr while the file (or its table) does not exist.
  Result<sqlite::Database*> Get();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string table_;
  std::unique_ptr<sqlite::Database> db_;
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

 private:
  ReadOnlyFile stream_, clean_, state_, outbox_;
  std::vector<Interval> intervals_;
};

}  // namespace stockpipe::serve
