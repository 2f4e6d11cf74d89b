// The embedded pipeline's parts, opened from one data folder:
//   <data-dir>/stream.db   the local stream
//   <data-dir>/clean.db    the CLEAN store
//   <data-dir>/state.db    cooldowns, watchdog, last trends run
//   <data-dir>/raw/, <data-dir>/rejected/   the RAW archive and the quarantine
//   <data-dir>/alerts.jsonl                 the alert log
//   <data-dir>/outbox.db                    alerts not yet taken by every channel
// Each thread opens its own parts: SQLite connections are not shared between threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alerts/console_notifier.h"
#include "alerts/log_notifier.h"
#include "alerts/outbox/outbox.h"
#include "archive/local/file_archive.h"
#include "core/config.h"
#include "store/data_folder.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "stream/local/sqlite_stream.h"
#include "trends/trends_job.h"

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
Result<std::unique_ptr<SqliteCleanStore>> OpenCleanStore(const Config& config);
Result<std::unique_ptr<SqliteStateStore>> OpenStateStore(const Config& config);

// The alert channels the configuration turns on (console, log, smtp, webhook, sns), all behind
// one outbox: the trends job and the watchdog send to `outbox` only, which queues each message
// durably and delivers it to every channel, retrying the ones that fail (see outbox.h).
struct Channels {
  std::vector<std::unique_ptr<Notifier>> channels;  // owned; the outbox delivers to these
  std::unique_ptr<Outbox> outbox;
  std::vector<Notifier*> all() const { return {outbox.get()}; }
};
Result<Channels> OpenChannels(const Config& config);

// Checks the SMTP and webhook settings as their channels will use them; the message names the
// key and never holds a secret. A failure is a configuration error (exit 2).
Status ValidateChannels(const Config& config);

// What must never reach a log or the outbox file, and what replaces it: the SMTP password, the
// webhook URL's path and query.
std::vector<std::pair<std::string, std::string>> ChannelSecrets(const Config& config);

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
