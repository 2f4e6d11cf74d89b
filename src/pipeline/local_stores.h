// The embedded pipeline's parts, opened from one data folder:
//   <data-dir>/stream.db   the local stream
//   <data-dir>/clean.db    the CLEAN store
//   <data-dir>/state.db    cooldowns, watchdog, last trends run
//   <data-dir>/raw/, <data-dir>/rejected/   the RAW archive and the quarantine
//   <data-dir>/alerts.jsonl                 the alert log
//   <data-dir>/outbox.db                    alerts not yet taken by every channel
// Each thread opens its own parts: SQLite connections are not shared between threads.
//
// Every store opened here is first checked against the folder's identity (store/data_folder.h).
// Commands do not call these directly: they open stages through pipeline/backends.h, which picks
// these or the AWS adapters by the configuration.
#pragma once

#include <memory>
#include <string>

#include "core/config.h"
#include "store/data_folder.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "stream/local/sqlite_stream.h"

namespace stockpipe {

inline constexpr std::string_view kIngestConsumer = "ingest";

struct LocalPaths {
  explicit LocalPaths(const std::string& data_dir);
  std::string root, stream, clean, state, alert_log, outbox, ingest_lock;
};

// Creates the data folder when missing.
Status EnsureDataDir(const Config& config);
// The folder, and `kind` checked against the folder's identity (store/data_folder.h): a
// missing, empty, replaced or foreign store is an error naming the file. Every Open* below
// calls it first.
Status EnsureStore(const Config& config, StoreKind kind);

Result<std::unique_ptr<SqliteStream>> OpenStream(const Config& config);
// Readers leave the stored candle intervals alone; ingest passes kApply (sqlite_clean_store.h).
Result<std::unique_ptr<SqliteCleanStore>> OpenCleanStore(
    const Config& config, CandleIntervalsChange change = CandleIntervalsChange::kLeave);
Result<std::unique_ptr<SqliteStateStore>> OpenStateStore(const Config& config);

// Holds an exclusive lock on the data folder's ingest lock file while alive, so two ingest
// processes never claim the same batches.
class IngestLock {
 public:
  static Result<std::unique_ptr<IngestLock>> Acquire(const Config& config);
  ~IngestLock();

 private:
  explicit IngestLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace stockpipe
