// An outbox.db written by earlier versions (before keyed messages; before multi-part progress
// and channel pauses) opens, gains the new columns without losing a queued alert, and its
// pending deliveries go out, starting at part 0. The files are built here with the earlier
// versions' exact schema.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "alerts/outbox/outbox.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

constexpr Micros kT0 = 1'755'182'292'000'000;

// The schema as stockpipe wrote it before this change (and, without the last two statements,
// before keyed messages).
constexpr const char* kEarlierSchema = R"sql(
CREATE TABLE messages(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created INTEGER NOT NULL,
  enqueued INTEGER NOT NULL);
CREATE TABLE deliveries(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id INTEGER NOT NULL,
  channel TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_attempt INTEGER,
  delivered_at INTEGER,
  UNIQUE(message_id, channel));
CREATE INDEX deliveries_due ON deliveries(state, next_attempt);
CREATE TABLE channels(
  channel TEXT PRIMARY KEY,
  delivered INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  failing INTEGER NOT NULL DEFAULT 0,
  last_success INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  last_error_at INTEGER NOT NULL DEFAULT 0);
INSERT INTO messages(kind, subject, body, created, enqueued)
  VALUES('signals', 'Alerts: AAPL:SELL', 'queued before the upgrade', 1755182292000000,
         1755182292000000);
INSERT INTO deliveries(message_id, channel, attempts, next_attempt, last_error)
  VALUES(1, 'telegram', 2, 1755182292000000, 'HTTP 502');
INSERT INTO channels(channel, attempts, failures, failing, last_error)
  VALUES('telegram', 2, 2, 1, 'HTTP 502');
)sql";
constexpr const char* kKeyedMessages = R"sql(
ALTER TABLE messages ADD COLUMN dedup_key TEXT;
CREATE UNIQUE INDEX messages_key ON messages(dedup_key) WHERE dedup_key IS NOT NULL;
)sql";

// A channel that records where each delivery resumed.
class ResumingChannel final : public Notifier {
 public:
  std::string_view Name() const override { return "telegram"; }
  Status Send(const AlertMessage&) override { return Status::Error("Resume expected"); }
  Status Resume(const AlertMessage& message, DeliveryProgress& progress) override {
    resumed_at.push_back(progress.parts_sent);
    bodies.push_back(message.body);
    progress.parts_sent = 1;
    return Status::Ok();
  }
  std::vector<std::size_t> resumed_at;
  std::vector<std::string> bodies;
};

std::set<std::string> Columns(const std::string& path, const char* table) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     (std::string("SELECT name FROM pragma_table_info('") + table + "')").c_str(),
                     -1, &stmt, nullptr);
  std::set<std::string> out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.insert(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

void Write(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_close(db);
}

class OutboxMigrationTest : public ::testing::TestWithParam<bool> {};

TEST_P(OutboxMigrationTest, AnEarlierFileOpensKeepsItsQueueAndDeliversIt) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "outbox.db").string();
  Write(path, std::string(kEarlierSchema) + (GetParam() ? kKeyedMessages : ""));
  ASSERT_EQ(Columns(path, "deliveries").count("parts_sent"), 0u);

  // Health reads an earlier file as it is, without changing it.
  auto before = ReadOutboxHealth(path, {"telegram"});
  ASSERT_TRUE(before) << before.error();
  EXPECT_EQ((*before)[0].pending, 1u);
  EXPECT_EQ(Columns(path, "channels").count("paused_until"), 0u);

  ResumingChannel channel;
  Micros now = kT0;
  for (int open = 0; open < 2; ++open) {  // the second open finds the file current
    OutboxOptions options;
    options.path = path;
    options.clock = [&] { return now; };
    auto outbox = Outbox::Open(std::move(options), {&channel});
    ASSERT_TRUE(outbox) << outbox.error();
    auto report = (*outbox)->DeliverDue(now);
    ASSERT_TRUE(report) << report.error();
    EXPECT_EQ(report->delivered, 1u);  // the old message, then the keyed one
    // Keyed messages work on the migrated file.
    auto queued = (*outbox)->EnqueueOnce({MessageKind::kNoData, "Alarm", "no data", now}, "k1");
    ASSERT_TRUE(queued) << queued.error();
    EXPECT_EQ(*queued, open == 0);
  }
  EXPECT_EQ(channel.resumed_at, (std::vector<std::size_t>{0, 0}));
  EXPECT_EQ(channel.bodies, (std::vector<std::string>{"queued before the upgrade", "no data"}));
  EXPECT_EQ(Columns(path, "deliveries").count("parts_sent"), 1u);
  EXPECT_EQ(Columns(path, "channels").count("paused_until"), 1u);
  EXPECT_EQ(Columns(path, "messages").count("dedup_key"), 1u);

  auto after = ReadOutboxHealth(path, {"telegram"});
  ASSERT_TRUE(after) << after.error();
  EXPECT_EQ((*after)[0].pending, 0u);
  EXPECT_EQ((*after)[0].delivered, 2u);
  EXPECT_EQ((*after)[0].attempts, 4u) << "the earlier counters are kept";
}

INSTANTIATE_TEST_SUITE_P(EarlierVersions, OutboxMigrationTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "WithKeyedMessages" : "BeforeKeyedMessages";
                         });

}  // namespace
}  // namespace stockpipe
