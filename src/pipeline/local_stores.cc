#include "pipeline/local_stores.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace stockpipe {
namespace {

// `[ingest] fsync`: the stream and CLEAN commit with an fsync, power-cut safe (docs/durability.md).
sqlite::Sync SyncOf(const Config& config) {
  return config.fsync ? sqlite::Sync::kFull : sqlite::Sync::kNormal;
}

}  // namespace

LocalPaths::LocalPaths(const std::string& data_dir)
    : root(data_dir),
      stream(data_dir + "/stream.db"),
      clean(data_dir + "/clean.db"),
      state(data_dir + "/state.db"),
      alert_log(data_dir + "/alerts.jsonl"),
      outbox(data_dir + "/outbox.db"),
      ingest_lock(data_dir + "/ingest.lock") {}

Status EnsureDataDir(const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return Status::Error(
        fmt::format("cannot create data folder {}: {}", config.data_dir, ec.message()));
  }
  return Status::Ok();
}

Status EnsureStore(const Config& config, StoreKind kind) {
  if (Status s = EnsureDataDir(config); !s.ok()) return s;
  return BindStore(config.data_dir, kind);
}

Result<std::unique_ptr<SqliteStream>> OpenStream(const Config& config) {
  if (Status s = EnsureStore(config, StoreKind::kStream); !s.ok()) return s;
  return SqliteStream::Open(LocalPaths(config.data_dir).stream, config.shards, SyncOf(config));
}

Result<std::unique_ptr<SqliteCleanStore>> OpenCleanStore(const Config& config,
                                                         CandleIntervalsChange change) {
  if (Status s = EnsureStore(config, StoreKind::kClean); !s.ok()) return s;
  return SqliteCleanStore::Open(LocalPaths(config.data_dir).clean, SyncOf(config),
                                config.candles.intervals, change);
}

Result<std::unique_ptr<SqliteStateStore>> OpenStateStore(const Config& config) {
  if (Status s = EnsureStore(config, StoreKind::kState); !s.ok()) return s;
  return SqliteStateStore::Open(LocalPaths(config.data_dir).state);
}

Result<std::unique_ptr<IngestLock>> IngestLock::Acquire(const Config& config) {
  if (Status s = EnsureDataDir(config); !s.ok()) return s;
  const std::string path = LocalPaths(config.data_dir).ingest_lock;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Error(fmt::format("another ingest is already running on {} (it holds {})",
                                     config.data_dir, path));
  }
  return std::unique_ptr<IngestLock>(new IngestLock(fd));
}

IngestLock::~IngestLock() {
  ::close(fd_);
}

}  // namespace stockpipe
