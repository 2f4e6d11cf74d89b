// The no-data watchdog over the real SQLite state store: one alarm after `no_data_after`, no
// repeats, one recovery notice, state that survives a restart, and the never-any-data case.
#include "trends/watchdog.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "support/subprocess.h"
#include "store/sqlite/sqlite_state_store.h"

namespace stockpipe {
namespace {

constexpr Micros kMinute = 60'000'000;
constexpr Micros kLimit = 10 * kMinute;
constexpr Micros kT0 = 1'755'182'292'000'000;

class WatchdogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    state_.reset();
    auto state = SqliteStateStore::Open((dir_.path() / "state.db").string());
    ASSERT_TRUE(state) << state.error();
    state_ = std::move(*state);
  }

  Watchdog Make(Micros started, Lang lang = Lang::kEn) {
    return Watchdog(*state_, kLimit, lang, started);
  }

  // Checks and returns the message, failing the test on an error; the message handed to the
  // delivery must be the one returned.
  static std::optional<AlertMessage> Check(Watchdog& w, Micros now, Micros last_arrival) {
    std::optional<AlertMessage> delivered;
    auto r = w.Check(now, last_arrival, [&](const AlertMessage& m) {
      EXPECT_FALSE(delivered) << "delivered twice in one check";
      delivered = m;
      return Status::Ok();
    });
    EXPECT_TRUE(r) << r.error();
    if (!r) return std::nullopt;
    EXPECT_EQ(r->has_value(), delivered.has_value());
    if (*r && delivered) {
      EXPECT_EQ((*r)->subject, delivered->subject);
    }
    return *r;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteStateStore> state_;
};

TEST_F(WatchdogTest, QuietWhileDataIsFresh) {
  Watchdog w = Make(kT0);
  for (Micros t = kT0; t < kT0 + 60 * kMinute; t += kMinute) {
    EXPECT_FALSE(Check(w, t, t - kMinute)) << "at +" << (t - kT0) / kMinute << " min";
  }
  auto stored = state_->Get(kWatchdogKey);
  ASSERT_TRUE(stored && *stored);
  EXPECT_TRUE((*stored)->starts_with("ok")) << **stored;
}

TEST_F(WatchdogTest, OneAlarmAfterTheLimitThenNothingUntilRecoveryThenOneNotice) {
  Watchdog w = Make(kT0);
  const Micros last = kT0 + kMinute;
  EXPECT_FALSE(Check(w, last + kLimit - 1, last));

  auto alarm = Check(w, last + kLimit, last);
  ASSERT_TRUE(alarm) << "no alarm after exactly no_data_after";
  EXPECT_EQ(alarm->kind, MessageKind::kNoData);
  EXPECT_EQ(alarm->created, last + kLimit);
  EXPECT_NE(alarm->subject.find("no data"), std::string::npos) << alarm->subject;
  EXPECT_NE(alarm->body.find(FormatCanonical(last)), std::string::npos) << alarm->body;

  for (Micros t = last + kLimit + kMinute; t < last + 5 * kLimit; t += kMinute) {
    EXPECT_FALSE(Check(w, t, last)) << "alarm repeated at +" << (t - last) / kMinute << " min";
  }

  const Micros back = last + 5 * kLimit;
  auto recovered = Check(w, back + 1, back);
  ASSERT_TRUE(recovered) << "no recovery notice";
  EXPECT_EQ(recovered->kind, MessageKind::kRecovered);
  EXPECT_NE(recovered->body.find(FormatCanonical(back)), std::string::npos) << recovered->body;

  for (Micros t = back + kMinute; t < back + kLimit; t += kMinute) {
    EXPECT_FALSE(Check(w, t, t - 1)) << "recovery repeated";
  }
}

TEST_F(WatchdogTest, ASecondOutageAlarmsAgain) {
  Watchdog w = Make(kT0);
  ASSERT_TRUE(Check(w, kT0 + kLimit, kT0));
  ASSERT_TRUE(Check(w, kT0 + kLimit + 1, kT0 + kLimit + 1));
  const Micros last = kT0 + kLimit + 1;
  auto second = Check(w, last + kLimit, last);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->kind, MessageKind::kNoData);
}

TEST_F(WatchdogTest, AlarmStateSurvivesARestart) {
  {
    Watchdog w = Make(kT0);
    ASSERT_TRUE(Check(w, kT0 + kLimit, kT0));
  }
  Reopen();
  Watchdog restarted = Make(kT0 + kLimit + kMinute);
  EXPECT_FALSE(Check(restarted, kT0 + kLimit + 2 * kMinute, kT0)) << "alarm repeated after restart";
  EXPECT_FALSE(Check(restarted, kT0 + 3 * kLimit, kT0));

  Reopen();
  Watchdog again = Make(kT0 + 3 * kLimit);
  const Micros back = kT0 + 3 * kLimit + kMinute;
  auto recovered = Check(again, back, back);
  ASSERT_TRUE(recovered) << "the restart forgot the alarm: no recovery notice";
  EXPECT_EQ(recovered->kind, MessageKind::kRecovered);
}

TEST_F(WatchdogTest, RecoveredStateSurvivesARestart) {
  {
    Watchdog w = Make(kT0);
    ASSERT_TRUE(Check(w, kT0 + kLimit, kT0));
    ASSERT_TRUE(Check(w, kT0 + kLimit + 1, kT0 + kLimit));
  }
  Reopen();
  Watchdog restarted = Make(kT0 + kLimit + 2);
  EXPECT_FALSE(Check(restarted, kT0 + kLimit + 3, kT0 + kLimit + 2)) << "recovery repeated";
}

TEST_F(WatchdogTest, NeverAnyDataAlarmsOnceCountingFromTheStart) {
  Watchdog w = Make(kT0, Lang::kPl);
  EXPECT_FALSE(Check(w, kT0 + kLimit - 1, 0));
  auto alarm = Check(w, kT0 + kLimit, 0);
  ASSERT_TRUE(alarm) << "no alarm when nothing ever arrived";
  EXPECT_EQ(alarm->kind, MessageKind::kNoData);
  EXPECT_NE(alarm->body.find("nigdy"), std::string::npos) << alarm->body;
  EXPECT_EQ(alarm->body.find("1970"), std::string::npos) << alarm->body;
  EXPECT_FALSE(Check(w, kT0 + 2 * kLimit, 0));
}

TEST_F(WatchdogTest, NeverAnyDataAcrossARestartIsNotARecovery) {
  {
    Watchdog w = Make(kT0);
    ASSERT_TRUE(Check(w, kT0 + kLimit, 0));
  }
  // The process restarts; still nothing has ever arrived. A new start time must not read as data.
  Reopen();
  const Micros restart = kT0 + 2 * kLimit;
  Watchdog restarted = Make(restart);
  for (Micros t = restart; t < restart + 3 * kLimit; t += kMinute) {
    auto m = Check(restarted, t, 0);
    EXPECT_FALSE(m) << "at +" << (t - restart) / kMinute << " min: " << (m ? m->subject : "");
  }
  // Data finally arrives: exactly one recovery notice.
  const Micros first = restart + 3 * kLimit;
  auto recovered = Check(restarted, first + 1, first);
  ASSERT_TRUE(recovered);
  EXPECT_EQ(recovered->kind, MessageKind::kRecovered);
  EXPECT_FALSE(Check(restarted, first + 2, first));
}

TEST_F(WatchdogTest, AChangeWhoseDeliveryFailsIsOfferedAgainUntilTaken) {
  Watchdog w = Make(kT0);
  const auto refuse = [](const AlertMessage&) { return Status::Error("outbox: disk full"); };
  auto failed = w.Check(kT0 + kLimit, kT0, refuse);
  ASSERT_FALSE(failed) << "a failed delivery must be an error";
  EXPECT_NE(failed.error().find("disk full"), std::string::npos) << failed.error();

  auto alarm = Check(w, kT0 + kLimit + kMinute, kT0);
  ASSERT_TRUE(alarm) << "the alarm whose delivery failed was lost";
  EXPECT_EQ(alarm->kind, MessageKind::kNoData);
  EXPECT_FALSE(Check(w, kT0 + kLimit + 2 * kMinute, kT0)) << "repeated after it was taken";

  const Micros back = kT0 + 2 * kLimit;
  ASSERT_FALSE(w.Check(back, back, refuse));
  auto recovered = Check(w, back + 1, back);
  ASSERT_TRUE(recovered) << "the recovery whose delivery failed was lost";
  EXPECT_EQ(recovered->kind, MessageKind::kRecovered);
}

TEST_F(WatchdogTest, PolishTexts) {
  Watchdog w = Make(kT0, Lang::kPl);
  auto alarm = Check(w, kT0 + kLimit, kT0);
  ASSERT_TRUE(alarm);
  EXPECT_TRUE(alarm->subject.starts_with("Alarm: brak danych")) << alarm->subject;
  auto back = Check(w, kT0 + kLimit + 1, kT0 + kLimit);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->subject.starts_with("Przywrócono")) << back->subject;
}

}  // namespace
}  // namespace stockpipe
