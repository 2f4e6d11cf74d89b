// What the outbox syncs to disk, and keyed messages. Every SQLite file of this process goes
// through a VFS that forwards to the default one and counts xSync calls: the enqueue is the one
// synced write (none with the opt-in enqueue_sync = kNormal); claiming and settling deliveries
// sync nothing. A keyed message is queued once, even across a reopen, and an outbox file made
// before keys gets them on open.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>

#include "alerts/outbox/outbox.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

constexpr Micros kT0 = 1'755'182'292'000'000;

std::atomic<int> g_syncs{0};     // any file
std::atomic<int> g_db_syncs{0};  // database files only: a checkpoint, not a commit
sqlite3_vfs* g_real = nullptr;

// A file of the counting VFS: our methods, then the real VFS's file right behind.
struct CountingFile {
  sqlite3_file base;
  bool main_db;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
CountingFile* Of(sqlite3_file* f) {
  return reinterpret_cast<CountingFile*>(f);
}
sqlite3_file* Real(sqlite3_file* f) {
  return Of(f)->real();
}

const sqlite3_io_methods kMethods = {
    3,
    [](sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); },
    [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
      return Real(f)->pMethods->xRead(Real(f), b, n, o);
    },
    [](sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
      return Real(f)->pMethods->xWrite(Real(f), b, n, o);
    },
    [](sqlite3_file* f, sqlite3_int64 size) { return Real(f)->pMethods->xTruncate(Real(f), size); },
    [](sqlite3_file* f, int flags) {
      ++g_syncs;
      if (Of(f)->main_db) ++g_db_syncs;
      return Real(f)->pMethods->xSync(Real(f), flags);
    },
    [](sqlite3_file* f, sqlite3_int64* size) {
      return Real(f)->pMethods->xFileSize(Real(f), size);
    },
    [](sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); },
    [](sqlite3_file* f, int l) { return Real(f)->pMethods->xUnlock(Real(f), l); },
    [](sqlite3_file* f, int* out) { return Real(f)->pMethods->xCheckReservedLock(Real(f), out); },
    [](sqlite3_file* f, int op, void* arg) {
      return Real(f)->pMethods->xFileControl(Real(f), op, arg);
    },
    [](sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); },
    [](sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); },
    [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
      return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
    },
    [](sqlite3_file* f, int offset, int n, int flags) {
      return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
    },
    [](sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); },
    [](sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); },
    [](sqlite3_file* f, sqlite3_int64 o, int n, void** out) {
      return Real(f)->pMethods->xFetch(Real(f), o, n, out);
    },
    [](sqlite3_file* f, sqlite3_int64 o, void* p) {
      return Real(f)->pMethods->xUnfetch(Real(f), o, p);
    },
};

int OpenCounting(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  file->pMethods = nullptr;
  Of(file)->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  const int rc = g_real->xOpen(g_real, name, Real(file), flags, out_flags);
  // SQLite closes a file only when pMethods is set: set it only once the real file is open.
  if (rc == SQLITE_OK && Real(file)->pMethods) file->pMethods = &kMethods;
  return rc;
}

// Made the default VFS before the first test, so Database::Open uses it.
class CountingVfs : public ::testing::Environment {
 public:
  void SetUp() override {
    g_real = sqlite3_vfs_find(nullptr);
    std::memcpy(&vfs_, g_real, sizeof(vfs_));
    vfs_.zName = "counting";
    vfs_.szOsFile = static_cast<int>(sizeof(CountingFile)) + g_real->szOsFile;
    vfs_.pNext = nullptr;
    vfs_.xOpen = OpenCounting;
    ASSERT_EQ(sqlite3_vfs_register(&vfs_, 1), SQLITE_OK);
  }

 private:
  sqlite3_vfs vfs_{};
};
const auto* const kVfs = ::testing::AddGlobalTestEnvironment(new CountingVfs);

class Channel final : public Notifier {
 public:
  std::string_view Name() const override { return "webhook"; }
  Status Send(const AlertMessage& message) override {
    received.push_back(message);
    return Status::Ok();
  }
  std::vector<AlertMessage> received;
};

AlertMessage Message(int n) {
  return {MessageKind::kSignals, fmt::format("Alerts: S{}:BUY", n), "body", kT0};
}

class OutboxSyncTest : public ::testing::Test {
 protected:
  std::unique_ptr<Outbox> Open(sqlite::Sync enqueue_sync = sqlite::Sync::kFull) {
    OutboxOptions options;
    options.path = (dir_.path() / "outbox.db").string();
    options.clock = [] { return kT0; };
    options.enqueue_sync = enqueue_sync;
    auto outbox = Outbox::Open(std::move(options), {&channel_});
    EXPECT_TRUE(outbox) << outbox.error();
    return outbox ? std::move(*outbox) : nullptr;
  }

  testing::TempDir dir_;
  Channel channel_;
};

TEST_F(OutboxSyncTest, OnlyTheEnqueueIsSyncedNotTheClaimOrTheDeliveryResult) {
  auto outbox = Open();
  ASSERT_TRUE(outbox);
  for (int i = 0; i < 3; ++i) {
    g_syncs = 0;
    ASSERT_TRUE(outbox->Enqueue(Message(i), kT0));
    EXPECT_GE(g_syncs.load(), 1) << "the enqueue was not synced";
    const int enqueue_syncs = g_syncs.load();
    g_syncs = 0;
    auto report = outbox->DeliverDue(kT0);
    ASSERT_TRUE(report) << report.error();
    EXPECT_EQ(report->delivered, 1u);
    EXPECT_EQ(g_syncs.load(), 0) << "claim and settle synced (enqueue took " << enqueue_syncs
                                 << ")";
  }
  EXPECT_EQ(channel_.received.size(), 3u);
}

TEST_F(OutboxSyncTest, TheWalIsCheckpointedAfterTheChannelsNotDuringAnEnqueue) {
  auto outbox = Open();
  ASSERT_TRUE(outbox);
  const std::string body(16 * 1024, 'x');  // 4+ pages a message: the WAL passes 1000 pages
  int enqueue_db_syncs = 0, most_enqueue_syncs = 0, delivery_passes_checkpointing = 0;
  std::size_t channel_calls_when_checkpointed = 0;
  channel_.received.reserve(400);
  for (int i = 0; i < 400; ++i) {
    g_syncs = g_db_syncs = 0;
    ASSERT_TRUE(outbox->Enqueue({MessageKind::kSignals, "Alerts: S:BUY", body, kT0}, kT0));
    enqueue_db_syncs += g_db_syncs.load();
    most_enqueue_syncs = std::max(most_enqueue_syncs, g_syncs.load());
    g_db_syncs = 0;
    const std::size_t before = channel_.received.size();
    auto report = outbox->DeliverDue(kT0);
    ASSERT_TRUE(report) << report.error();
    if (g_db_syncs.load() > 0) {
      ++delivery_passes_checkpointing;
      // The checkpoint came after this pass had handed its message to the channel.
      channel_calls_when_checkpointed += channel_.received.size() - before;
    }
  }
  EXPECT_EQ(enqueue_db_syncs, 0) << "an enqueue waited for a checkpoint";
  // The WAL's own: the commit, and its header when the WAL starts over.
  EXPECT_LE(most_enqueue_syncs, 2);
  EXPECT_GE(delivery_passes_checkpointing, 1) << "the WAL was never checkpointed";
  EXPECT_EQ(channel_calls_when_checkpointed,
            static_cast<std::size_t>(delivery_passes_checkpointing));
  const auto wal = dir_.path() / "outbox.db-wal";
  EXPECT_LT(std::filesystem::file_size(wal), 3u * 1000 * 4096 + 1) << "the WAL kept growing";
}

TEST_F(OutboxSyncTest, TheOptInNormalSyncQueuesWithoutAnFsync) {
  auto outbox = Open(sqlite::Sync::kNormal);
  ASSERT_TRUE(outbox);
  g_syncs = 0;
  ASSERT_TRUE(outbox->Send(Message(1)).ok());
  EXPECT_EQ(g_syncs.load(), 0);
  EXPECT_EQ(channel_.received.size(), 1u);
}

TEST_F(OutboxSyncTest, AKeyedMessageIsQueuedOnceEvenAfterAReopen) {
  {
    auto outbox = Open();
    ASSERT_TRUE(outbox);
    auto first = outbox->EnqueueOnce(Message(1), "streaming/AAPL:SELL@1:101.5;");
    ASSERT_TRUE(first) << first.error();
    EXPECT_TRUE(*first);
    g_syncs = 0;
    auto again = outbox->EnqueueOnce(Message(1), "streaming/AAPL:SELL@1:101.5;");
    ASSERT_TRUE(again) << again.error();
    EXPECT_FALSE(*again);
    EXPECT_EQ(g_syncs.load(), 0) << "a message already queued wrote something";
  }
  auto outbox = Open();
  ASSERT_TRUE(outbox);
  auto after_reopen = outbox->EnqueueOnce(Message(1), "streaming/AAPL:SELL@1:101.5;");
  ASSERT_TRUE(after_reopen);
  EXPECT_FALSE(*after_reopen);
  auto other = outbox->EnqueueOnce(Message(2), "streaming/AAPL:SELL@1:101.6;");
  ASSERT_TRUE(other);
  EXPECT_TRUE(*other);
  ASSERT_TRUE(outbox->Enqueue(Message(3), kT0));  // unkeyed messages never collide
  ASSERT_TRUE(outbox->Enqueue(Message(3), kT0));
  auto report = outbox->DeliverDue(kT0);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->delivered, 4u);
  ASSERT_EQ(channel_.received.size(), 4u);
  EXPECT_EQ(channel_.received[0].subject, "Alerts: S1:BUY");
  EXPECT_EQ(channel_.received[1].subject, "Alerts: S2:BUY");
}

TEST_F(OutboxSyncTest, AnOutboxFileFromBeforeKeysGetsThemOnOpen) {
  const std::string path = (dir_.path() / "outbox.db").string();
  {
    // The messages table as the previous version made it, with one message still pending.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE messages(id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT "
                           "NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, created INTEGER "
                           "NOT NULL, enqueued INTEGER NOT NULL);"
                           "INSERT INTO messages(kind, subject, body, created, enqueued) "
                           "VALUES('signals', 'Alerts: OLD:BUY', 'old', 1, 1);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto outbox = Open();
  ASSERT_TRUE(outbox);
  auto queued = outbox->EnqueueOnce(Message(1), "k");
  ASSERT_TRUE(queued) << queued.error();
  EXPECT_TRUE(*queued);
  auto again = outbox->EnqueueOnce(Message(1), "k");
  ASSERT_TRUE(again) << again.error();
  EXPECT_FALSE(*again);
  auto reopened = Open();  // the column is there now: adding it again must not fail
  ASSERT_TRUE(reopened);
}

}  // namespace
}  // namespace stockpipe
