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
#include "sqlite/database.h"

namespace stockpipe::serve {

// The numbers `stockpipe health` reads from stream.db, for one consumer.
struct StreamNumbers {
  std::size_t shards = 0;
  std::uint64_t lag_records = 0;  // written but not committed by the consumer
  Micros oldest_pending = 0;      // arrival of the oldest uncommitted chunk; 0 = none
  Micros last_put = 0;            // 0 = never
  IngestCounts counts;            // committed by the consumer
};

struct AlertDelivery {
  std::string channel;
  std::string state;  // pending, delivered, given_up
  std::int64_t attempts = 0;
};

struct AlertRow {
  std::int64_t id = 0;
  std::string kind;
  std::string subject;
  std::string body;
  Micros created = 0;
  std::vector<AlertDelivery> deliveries;
};

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

class DataFolder {
 public:
  explicit DataFolder(const std::string& data_dir);

  Result<StreamNumbers> Stream(std::string_view consumer);

  // clean.db: rows and newest point per symbol, sorted by symbol.
  Result<std::vector<SymbolSummary>> Symbols();
  Result<std::optional<double>> LastPrice(std::string_view symbol);
  // The newest `n` points in [from, to] (either bound open), oldest first.
  Result<std::vector<PricePoint>> Newest(std::string_view symbol, std::optional<Micros> from,
                                         std::optional<Micros> to, std::size_t n);
  // The newest `n` points in [from, before) (`from` open when absent), oldest first.
  Result<std::vector<PricePoint>> Before(std::string_view symbol, Micros before,
                                         std::optional<Micros> from, std::size_t n);

  // state.db: a key's value, none when absent.
  Result<std::optional<std::string>> State(std::string_view key);

  // outbox.db: the newest `limit` messages with id > after_id, newest first, with deliveries.
  Result<std::vector<AlertRow>> Alerts(std::size_t limit, std::int64_t after_id);
  Result<std::int64_t> NewestAlertId();  // 0 = none
  // Each channel's deliveries as `ReadOutboxHealth` reports them (`configured` first, then any
  // other channel still holding undelivered rows), read on this read-only connection: the
  // outbox's own reader opens the file read-write, and closing the last writable connection
  // checkpoints a WAL that a crashed pipeline left behind.
  Result<std::vector<ChannelHealth>> Channels(const std::vector<std::string>& configured);

 private:
  ReadOnlyFile stream_, clean_, state_, outbox_;
};

}  // namespace stockpipe::serve
