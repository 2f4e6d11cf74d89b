#include "sqlite/checkpointer.h"

#include "core/log.h"

namespace stockpipe::sqlite {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(Database& writer, Sync sync, int frames,
                                                          int inline_frames) {
  auto own = Database::Open(writer.path(), false, sync);
  if (!own) return own.status();
  std::unique_ptr<Checkpointer> checkpointer(
      new Checkpointer(writer, std::move(*own), frames, inline_frames));
  checkpointer->thread_ = std::thread([c = checkpointer.get()] { c->Run(); });
  // Replaces the automatic checkpoint (which is a commit hook of its own).
  sqlite3_wal_hook(writer.handle(), &Checkpointer::OnCommit, checkpointer.get());
  return checkpointer;
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_hook(writer_.handle(), nullptr, nullptr);
  sqlite3_wal_autocheckpoint(writer_.handle(), 1000);  // SQLite's default, for what is left
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int Checkpointer::OnCommit(void* self, sqlite3* db, const char* name, int frames) {
  auto* c = static_cast<Checkpointer*>(self);
  if (frames >= c->inline_frames_) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (frames >= c->frames_) {
    {
      std::lock_guard lock(c->mutex_);
      c->due_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;  // a checkpoint that did not happen is no reason to fail the commit
}

void Checkpointer::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return due_ || stopping_; });
    if (stopping_) return;
    due_ = false;
    lock.unlock();
    const int rc = sqlite3_wal_checkpoint_v2(own_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      log::Warn("background checkpoint failed; the next commit asks again",
                {{"path", own_->path()}, {"error", sqlite3_errmsg(own_->handle())}});
    }
    lock.lock();
  }
}

}  // namespace stockpipe::sqlite
