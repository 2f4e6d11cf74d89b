// Streaming alerts through the real outbox when the process dies at each point of OnDurable: the
// batch's alerts are queued once and delivered once after the restart replays the batch (the
// observer runs before the checkpoint, so a restart always replays it). The kill is real: a
// forked child runs OnDurable on the real files and calls _exit at the chosen point (no
// destructor, no rollback, the SQLite files as a killed process leaves them); the parent then
// plays the restarted ingest on the same files.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "alerts/outbox/outbox.h"
#include "sqlite/database.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "support/subprocess.h"
#include "trends/streaming_signals.h"

namespace stockpipe {
namespace {

constexpr Micros kMinute = 60'000'000;
constexpr Micros kT0 = 1'755'182'292'000'000;
constexpr Micros kLease = 5 * kMinute;
constexpr int kHistory = 30;
constexpr int kBatch = 3;

enum class KillAt { kCooldownRead, kCooldownWrite, kFirstChannel, kAfterReturn };

// The state store, dying (or failing) on the chosen call.
class FaultyState final : public StateStore {
 public:
  explicit FaultyState(StateStore& next) : next_(next) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    if (kill_on_get) ::_exit(0);
    return next_.Get(key);
  }
  Status Put(std::string_view key, std::string_view value) override {
    if (kill_on_put) ::_exit(0);
    if (fail_puts > 0) {
      --fail_puts;
      return Status::Error("disk I/O error (injected)");
    }
    return next_.Put(key, value);
  }
  bool kill_on_get = false, kill_on_put = false;
  int fail_puts = 0;

 private:
  StateStore& next_;
};

class Channel final : public Notifier {
 public:
  std::string_view Name() const override { return "webhook"; }
  Status Send(const AlertMessage& message) override {
    if (kill) ::_exit(0);
    received.push_back(message);
    return Status::Ok();
  }
  bool kill = false;
  std::vector<AlertMessage> received;
};

// A steady 0.3 %/minute rise: every tick after the warm-up is a SELL of the reference rule.
std::vector<Tick> Ticks(int from, int count) {
  std::vector<Tick> out;
  for (int i = from; i < from + count; ++i) {
    out.push_back({"AAPL", kT0 + i * kMinute, 100 * std::pow(1.003, i), ""});
  }
  return out;
}

class StreamingCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // What ingest made durable before calling the observer: the history and the batch.
    auto clean = SqliteCleanStore::Open(path("clean.db"));
    ASSERT_TRUE(clean) << clean.error();
    ASSERT_TRUE((*clean)->Upsert(Ticks(0, kHistory + kBatch)).ok());
  }

  std::string path(const char* name) const { return (dir_.path() / name).string(); }

  TrendsSettings Settings(Micros cooldown) const {
    TrendsSettings s;
    s.lang = Lang::kEn;
    s.cooldown = cooldown;
    return s;
  }

  // One ingest process's streaming part on the data folder's files, at time `now`.
  struct Process {
    std::unique_ptr<SqliteCleanStore> clean;
    std::unique_ptr<SqliteStateStore> state;
    std::unique_ptr<FaultyState> faulty;
    Channel channel;
    std::unique_ptr<Outbox> outbox;
    std::unique_ptr<StreamingSignals> streaming;
  };
  std::unique_ptr<Process> Start(Micros cooldown, Micros now) {
    auto p = std::make_unique<Process>();
    auto clean = SqliteCleanStore::Open(path("clean.db"));
    auto state = SqliteStateStore::Open(path("state.db"));
    OutboxOptions options;
    options.path = path("outbox.db");
    options.lease = kLease;
    options.clock = [now] { return now; };
    auto outbox = Outbox::Open(std::move(options), {&p->channel});
    EXPECT_TRUE(clean && state && outbox);
    if (!clean || !state || !outbox) return nullptr;
    p->clean = std::move(*clean);
    p->state = std::move(*state);
    p->faulty = std::make_unique<FaultyState>(*p->state);
    p->outbox = std::move(*outbox);
    p->streaming = std::make_unique<StreamingSignals>(*p->clean, *p->faulty, *p->outbox,
                                                      Settings(cooldown), [now] { return now; });
    return p;
  }

  // Runs OnDurable(batch) in a child process killed at `at`; true when it died there.
  bool KilledChild(KillAt at, Micros cooldown) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      auto p = Start(cooldown, kT0 + kHistory * kMinute);
      if (!p) ::_exit(2);
      p->faulty->kill_on_get = at == KillAt::kCooldownRead;
      p->faulty->kill_on_put = at == KillAt::kCooldownWrite;
      p->channel.kill = at == KillAt::kFirstChannel;
      const std::vector<Tick> batch = Ticks(kHistory, kBatch);
      auto result = p->streaming->OnDurable(batch);
      // Returned: only the kill after it (before the checkpoint) was meant to get here.
      ::_exit(result && at == KillAt::kAfterReturn ? 0 : 3);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  std::int64_t Count(const std::string& sql) {
    auto db = sqlite::Database::Open(path("outbox.db"), false);
    EXPECT_TRUE(db) << db.error();
    auto q = (*db)->Prepare(sql);
    EXPECT_TRUE(q) << q.error();
    EXPECT_EQ(q->Step(), SQLITE_ROW);
    return q->Int(0);
  }

  testing::TempDir dir_;
};

struct Case {
  const char* name;
  KillAt at;
  Micros cooldown;
  bool queued_before_the_kill;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class KillDuringOnDurable : public StreamingCrashTest,
                            public ::testing::WithParamInterface<Case> {};

TEST_P(KillDuringOnDurable, TheReplayQueuesOnceAndTheChannelGetsItOnce) {
  const Case c = GetParam();
  ASSERT_TRUE(KilledChild(c.at, c.cooldown)) << "the child was not killed at " << c.name;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), c.queued_before_the_kill ? 1 : 0);

  // The restart, a little later: ingest claims the batch again and the observer sees it again.
  const Micros restart = kT0 + kHistory * kMinute + 1'000'000;
  auto p = Start(c.cooldown, restart);
  ASSERT_TRUE(p);
  const std::vector<Tick> batch = Ticks(kHistory, kBatch);
  auto replay = p->streaming->OnDurable(batch);
  ASSERT_TRUE(replay) << replay.error();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), 1) << "queued twice";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries"), 1);
  // The cooldown the scheduled run reads is there whatever the kill interrupted.
  auto cooldown = p->state->Get(CooldownKey("AAPL", Action::kSell));
  ASSERT_TRUE(cooldown);
  EXPECT_TRUE(cooldown->has_value());

  // Delivered exactly once in all: a row the dead child had claimed waits for its lease.
  std::size_t delivered = p->channel.received.size();
  auto later = p->outbox->DeliverDue(restart + kLease);
  ASSERT_TRUE(later) << later.error();
  delivered += later->delivered;
  EXPECT_EQ(delivered, c.at == KillAt::kAfterReturn ? 0u : 1u)
      << "the child's own delivery before the kill counts as the one";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE state='delivered'"), 1);
  if (!p->channel.received.empty()) {
    // Cooldown 0: each tick of the batch alerts; otherwise its first one does.
    std::string subject = "Alerts: AAPL:SELL";
    for (int i = 1; i < (c.cooldown ? 1 : kBatch); ++i) subject += ", Alerts: AAPL:SELL";
    EXPECT_EQ(p->channel.received[0].subject, subject);
  }
}

INSTANTIATE_TEST_SUITE_P(
    CrashPoints, KillDuringOnDurable,
    ::testing::Values(
        Case{"the cooldown read (before queueing)", KillAt::kCooldownRead, 30 * kMinute, false},
        Case{"the cooldown write (queued, no cooldown yet)", KillAt::kCooldownWrite, 30 * kMinute,
             true},
        Case{"the cooldown write, cooldown 0", KillAt::kCooldownWrite, 0, true},
        Case{"the first channel (queued, cooldown written)", KillAt::kFirstChannel, 0, true},
        Case{"the return (delivered, not checkpointed)", KillAt::kAfterReturn, 0, true}),
    [](const ::testing::TestParamInfo<Case>& info) { return fmt::format("Case{}", info.index); });

TEST_F(StreamingCrashTest, AFailedBatchIsRetriedFromCleanAsARestartWould) {
  const Micros now = kT0 + kHistory * kMinute;
  auto p = Start(0, now);
  ASSERT_TRUE(p);
  const std::vector<Tick> batch = Ticks(kHistory, kBatch);
  // Queued, then the cooldown write fails: the batch fails and ingest retries it.
  p->faulty->fail_puts = 1;
  auto failed = p->streaming->OnDurable(batch);
  ASSERT_FALSE(failed);
  auto retried = p->streaming->OnDurable(batch);
  ASSERT_TRUE(retried) << retried.error();
  EXPECT_FALSE(retried->queued_now) << "the retry queued its message a second time";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), 1);

  // The retry decided what a fresh process decides on the same batch, tick by tick.
  StreamingSignals fresh(*p->clean, *p->faulty, *p->outbox, Settings(0), [now] { return now; });
  auto reference = fresh.OnDurable(batch);
  ASSERT_TRUE(reference) << reference.error();
  ASSERT_EQ(retried->decisions.size(), reference->decisions.size());
  for (std::size_t i = 0; i < reference->decisions.size(); ++i) {
    EXPECT_EQ(retried->decisions[i].decision.action, reference->decisions[i].decision.action);
    EXPECT_EQ(retried->decisions[i].decision.numbers[0].value,
              reference->decisions[i].decision.numbers[0].value)
        << "tick " << i << " was evaluated on a ring that already held the later ticks";
  }
  EXPECT_EQ(retried->run.alerts.size(), static_cast<std::size_t>(kBatch));
  EXPECT_EQ(p->channel.received.size(), 1u);
}

}  // namespace
}  // namespace stockpipe
