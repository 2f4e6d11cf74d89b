// The embedded pipeline's parts, opened from one data folder:
//   <data-dir>/stream.db   the local stream
//   <data-dir>/clean.db    the CLEAN store
//   <data-dir>/state.db    cooldowns, watchdog, last trends run
//   <data-dir>/raw/, <data-dir>/rejected/   the RAW archive and the quarantine
//   <data-dir>/alerts.jsonl                 the alert log
// Each thread opens its own parts: SQLite connections are not shared between threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alerts/console_notifier.h"
#include "alerts/log_notifier.h"
#include "archive/local/file_archive.h"
#include "core/config.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "stream/local/sqlite_stream.h"
#include "trends/trends_job.h"

namespace stockpipe {

inline constexpr std::string_view kIngestConsumer = "ingest";

struct LocalPaths {
  explicit LocalPaths(const std::string& data_dir);
  std::string root, stream, clean, state, alert_log, ingest_lock;
};

// Creates the data folder when missing.
Status EnsureDataDir(const Config& config);

Result<std::unique_ptr<SqliteStream>> OpenStream(const Config& config);
Result<std::unique_ptr<SqliteCleanStore>> OpenCleanStore(const Config& config);
Result<std::unique_ptr<SqliteStateStore>> OpenStateStore(const Config& config);

// The channels configured for this run (console, alert log).
struct Channels {
  std::unique_ptr<ConsoleNotifier> console;
  std::unique_ptr<LogNotifier> log;
  std::vector<Notifier*> all() const;
};
Channels OpenChannels(const Config& config);

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
