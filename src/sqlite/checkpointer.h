// Checkpoints a WAL database on a thread of its own, so that the thread that commits does not copy
// pages back into the main file itself.
//
// SQLite's automatic checkpoint runs inside the commit that takes the log past its threshold, on
// the committing thread: for the CLEAN store that is the one thread every batch's commit goes
// through, and the copy took a quarter of its time. A PASSIVE checkpoint on another connection
// copies the same pages while writers go on (SQLite allows one checkpointer beside any number of
// readers and a writer). A log the background cannot keep up with (a checkpoint never finds the
// log still, so the log never restarts) is checkpointed by the committing thread again, past
// `inline_frames`.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "sqlite/database.h"

namespace stockpipe::sqlite {

class Checkpointer {
 public:
  // Takes over `writer`'s checkpoints: a checkpoint of `path` runs in the background once a commit
  // leaves `frames` frames in the log, and on the committing thread past `inline_frames`. Stops,
  // without a last checkpoint, when destroyed (before `writer` closes).
  static Result<std::unique_ptr<Checkpointer>> Start(Database& writer, Sync sync, int frames = 4096,
                                                     int inline_frames = 65536);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  Checkpointer(Database& writer, std::unique_ptr<Database> own, int frames, int inline_frames)
      : writer_(writer), own_(std::move(own)), frames_(frames), inline_frames_(inline_frames) {}
  static int OnCommit(void* self, sqlite3* db, const char* name, int frames);
  void Run();

  Database& writer_;
  std::unique_ptr<Database> own_;  // used by thread_ only
  const int frames_, inline_frames_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false, stopping_ = false;
  std::thread thread_;
};

}  // namespace stockpipe::sqlite
