// TrendsJob over the real SQLite CLEAN and state stores: one message per run, cooldown per
// (symbol, action) that survives restarts, cooldown 0 alerting on every run, the last-run record.
// Only the channel is a test double: it records what it was asked to send.
#include "trends/trends_job.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z

class RecordingNotifier final : public Notifier {
 public:
  explicit RecordingNotifier(std::string name = "recording", bool fail = false)
      : name_(std::move(name)), fail_(fail) {}
  std::string_view Name() const override { return name_; }
  Status Send(const AlertMessage& message) override {
    sent.push_back(message);
    return fail_ ? Status::Error("channel is down") : Status::Ok();
  }
  std::vector<AlertMessage> sent;

 private:
  std::string name_;
  bool fail_;
};

class TrendsJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto clean = SqliteCleanStore::Open((dir_.path() / "clean.db").string());
    ASSERT_TRUE(clean) << clean.error();
    clean_ = std::move(*clean);
    ReopenState();
  }

  void ReopenState() {
    state_.reset();
    auto state = SqliteStateStore::Open((dir_.path() / "state.db").string());
    ASSERT_TRUE(state) << state.error();
    state_ = std::move(*state);
  }

  // `count` ticks one minute apart ending at `end`, each `step` (a factor) from the previous.
  void AddSeries(const std::string& symbol, double start, double step, int count, Micros end) {
    std::vector<Tick> ticks;
    double price = start;
    for (int i = 0; i < count; ++i) {
      ticks.push_back({symbol, end - (count - 1 - i) * kMinute, price, ""});
      price *= step;
    }
    ASSERT_TRUE(clean_->Upsert(ticks).ok());
  }

  TrendsJob Job(std::vector<Notifier*> channels, Micros cooldown = 30 * kMinute,
                Lang lang = Lang::kPl, bool footer = false) {
    TrendsSettings settings;  // the reference parameters: 1.5 / 15 / 20 / 20 / 0.2
    settings.lang = lang;
    settings.cooldown = cooldown;
    settings.include_json_footer = footer;
    return TrendsJob(*clean_, *state_, std::move(channels), settings);
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteCleanStore> clean_;
  std::unique_ptr<SqliteStateStore> state_;
};

TEST_F(TrendsJobTest, AllAlertsOfARunGoOutAsOneMessageToEveryChannel) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);  // rising: SELL
  AddSeries("MSFT", 100, 0.99, 30, kT0);  // falling: BUY
  AddSeries("GOOG", 100, 1.0, 30, kT0);   // flat: nothing
  RecordingNotifier a("a"), b("b");
  auto run = Job({&a, &b}).RunOnce(kT0);
  ASSERT_TRUE(run) << run.error();
  EXPECT_EQ(run->symbols_checked, 3u);
  ASSERT_EQ(run->alerts.size(), 2u);
  EXPECT_TRUE(run->channel_errors.empty());

  for (RecordingNotifier* channel : {&a, &b}) {
    ASSERT_EQ(channel->sent.size(), 1u) << channel->Name();
    const AlertMessage& m = channel->sent[0];
    EXPECT_EQ(m.kind, MessageKind::kSignals);
    EXPECT_EQ(m.subject, "Alerty: AAPL:SPRZEDAJ, Alerty: MSFT:KUPUJ");
    EXPECT_EQ(m.created, kT0);
    EXPECT_EQ(m.body, AlertMessageBody(run->alerts, Lang::kPl, kT0, false));
    EXPECT_NE(m.body.find("📈 Alert giełdowy — AAPL"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("📉 Alert giełdowy — MSFT"), std::string::npos) << m.body;
    EXPECT_EQ(m.body.find("GOOG"), std::string::npos);
  }
}

TEST_F(TrendsJobTest, EvaluatesTheNewestPointsOfEachSymbol) {
  // An old fall followed by a recent rise: only the rise counts.
  AddSeries("AAPL", 200, 0.98, 40, kT0 - 100 * kMinute);
  AddSeries("AAPL", 100, 1.01, 25, kT0);
  RecordingNotifier channel;
  auto run = Job({&channel}, 0, Lang::kEn).RunOnce(kT0);
  ASSERT_TRUE(run) << run.error();
  ASSERT_EQ(run->alerts.size(), 1u);
  EXPECT_EQ(run->alerts[0].action(), Action::kSell);
  EXPECT_DOUBLE_EQ(run->alerts[0].decision.last, 100 * std::pow(1.01, 24));
  ASSERT_EQ(channel.sent.size(), 1u);
  EXPECT_EQ(channel.sent[0].subject, "Alerts: AAPL:SELL");
}

TEST_F(TrendsJobTest, TooFewPointsOrFlatSeriesSendNothingButRecordTheRun) {
  AddSeries("AAPL", 100, 1.05, 10, kT0);  // rising fast, but only 10 of 20 points
  AddSeries("MSFT", 100, 1.0, 30, kT0);
  RecordingNotifier channel;
  auto run = Job({&channel}).RunOnce(kT0);
  ASSERT_TRUE(run) << run.error();
  EXPECT_EQ(run->symbols_checked, 2u);
  EXPECT_TRUE(run->alerts.empty());
  EXPECT_TRUE(channel.sent.empty());
  auto last = state_->Get(kLastTrendsRunKey);
  ASSERT_TRUE(last && *last);
}

TEST_F(TrendsJobTest, DefaultCooldownHoldsBackRepeatsUntilItEnds) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);
  RecordingNotifier channel;
  TrendsJob job = Job({&channel});
  ASSERT_TRUE(job.RunOnce(kT0));
  ASSERT_EQ(channel.sent.size(), 1u);

  auto again = job.RunOnce(kT0 + 2 * kMinute);
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE(again->alerts.empty());
  EXPECT_EQ(again->suppressed_by_cooldown, 1u);
  EXPECT_EQ(channel.sent.size(), 1u) << "a repeat inside the cooldown went out";

  auto almost = job.RunOnce(kT0 + 30 * kMinute - 1);
  ASSERT_TRUE(almost);
  EXPECT_EQ(channel.sent.size(), 1u);

  auto after = job.RunOnce(kT0 + 30 * kMinute);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->alerts.size(), 1u);
  EXPECT_EQ(channel.sent.size(), 2u) << "the cooldown never ended";
}

TEST_F(TrendsJobTest, CooldownSurvivesANewJobAndReopenedStores) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);
  RecordingNotifier first;
  ASSERT_TRUE(Job({&first}).RunOnce(kT0));
  ASSERT_EQ(first.sent.size(), 1u);

  ReopenState();  // as a restarted process would
  RecordingNotifier second;
  auto run = Job({&second}).RunOnce(kT0 + 10 * kMinute);
  ASSERT_TRUE(run) << run.error();
  EXPECT_EQ(run->suppressed_by_cooldown, 1u);
  EXPECT_TRUE(second.sent.empty()) << "the restart forgot the cooldown";

  ReopenState();
  RecordingNotifier third;
  ASSERT_TRUE(Job({&third}).RunOnce(kT0 + 31 * kMinute));
  EXPECT_EQ(third.sent.size(), 1u);
}

TEST_F(TrendsJobTest, CooldownIsPerSymbolAndAction) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);
  RecordingNotifier channel;
  TrendsJob job = Job({&channel}, 30 * kMinute, Lang::kEn);
  ASSERT_TRUE(job.RunOnce(kT0));
  ASSERT_EQ(channel.sent.size(), 1u);

  // MSFT starts trending: its alert goes out although AAPL's is held back.
  AddSeries("MSFT", 100, 0.99, 30, kT0 + kMinute);
  auto run = job.RunOnce(kT0 + kMinute);
  ASSERT_TRUE(run);
  ASSERT_EQ(channel.sent.size(), 2u);
  EXPECT_EQ(channel.sent[1].subject, "Alerts: MSFT:BUY");
  EXPECT_EQ(run->suppressed_by_cooldown, 1u);

  // AAPL turns: 25 falling points newer than the rising ones. A BUY is another
  // (symbol, action) and is not held back by the SELL's cooldown.
  AddSeries("AAPL", 140, 0.98, 25, kT0 + 25 * kMinute);
  auto turned = job.RunOnce(kT0 + 2 * kMinute);
  ASSERT_TRUE(turned);
  ASSERT_EQ(channel.sent.size(), 3u);
  const bool aapl_buy = channel.sent[2].subject == "Alerts: AAPL:BUY";
  EXPECT_TRUE(aapl_buy) << "the SELL cooldown held back a BUY";
}

TEST_F(TrendsJobTest, CooldownZeroAlertsOnEveryRun) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);
  AddSeries("MSFT", 100, 0.99, 30, kT0);
  RecordingNotifier channel;
  TrendsJob job = Job({&channel}, 0);
  for (int i = 0; i < 4; ++i) {
    auto run = job.RunOnce(kT0 + i * kSecond);
    ASSERT_TRUE(run) << run.error();
    EXPECT_EQ(run->alerts.size(), 2u);
    EXPECT_EQ(run->suppressed_by_cooldown, 0u);
  }
  EXPECT_EQ(channel.sent.size(), 4u);
}

TEST_F(TrendsJobTest, LastRunIsWrittenAsJson) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);
  AddSeries("MSFT", 100, 1.0, 30, kT0);
  RecordingNotifier channel;
  TrendsJob job = Job({&channel});
  ASSERT_TRUE(job.RunOnce(kT0));
  ASSERT_TRUE(job.RunOnce(kT0 + kMinute));

  ReopenState();
  auto stored = state_->Get(kLastTrendsRunKey);
  ASSERT_TRUE(stored) << stored.error();
  ASSERT_TRUE(*stored);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(**stored).get(root), simdjson::SUCCESS) << **stored;
  EXPECT_EQ(std::string_view(root["at"]), FormatCanonical(kT0 + kMinute));
  EXPECT_EQ(uint64_t(root["symbols_checked"]), 2u);
  EXPECT_EQ(uint64_t(root["alerts_count"]), 0u);
  EXPECT_EQ(uint64_t(root["suppressed"]), 1u);
}

TEST_F(TrendsJobTest, AFailingChannelDoesNotStopTheOthers) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);
  RecordingNotifier broken("broken", true), working("working");
  auto run = Job({&broken, &working}).RunOnce(kT0);
  ASSERT_TRUE(run) << run.error();
  EXPECT_EQ(working.sent.size(), 1u);
  ASSERT_EQ(run->channel_errors.size(), 1u);
  EXPECT_NE(run->channel_errors[0].find("broken"), std::string::npos);
  EXPECT_NE(run->channel_errors[0].find("channel is down"), std::string::npos);
}

TEST_F(TrendsJobTest, WhenEveryChannelFailsTheNextRunTriesAgain) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);
  RecordingNotifier down("down", true);
  auto failed = Job({&down}).RunOnce(kT0);
  ASSERT_TRUE(failed) << failed.error();
  EXPECT_EQ(failed->channel_errors.size(), 1u);
  // Nobody got the alert: the cooldown must not hold it back on the next run.
  RecordingNotifier up("up");
  auto retried = Job({&up}).RunOnce(kT0 + kMinute);
  ASSERT_TRUE(retried) << retried.error();
  EXPECT_EQ(retried->suppressed_by_cooldown, 0u);
  EXPECT_EQ(up.sent.size(), 1u) << "an alert no channel delivered was held back by the cooldown";
}

TEST_F(TrendsJobTest, UnreadableCooldownStateIsNoCooldownNotACrash) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);
  ASSERT_TRUE(state_->Put(CooldownKey("AAPL", Action::kSell), "garbage").ok());
  RecordingNotifier channel;
  auto run = Job({&channel}).RunOnce(kT0);
  ASSERT_TRUE(run) << run.error();
  EXPECT_EQ(channel.sent.size(), 1u);
  auto stored = state_->Get(CooldownKey("AAPL", Action::kSell));
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ(**stored, std::to_string(kT0)) << "the cooldown was not restarted";
}

TEST_F(TrendsJobTest, JsonFooterWhenAskedFor) {
  AddSeries("AAPL", 100, 1.01, 30, kT0);
  RecordingNotifier channel;
  ASSERT_TRUE(Job({&channel}, 0, Lang::kEn, true).RunOnce(kT0));
  ASSERT_EQ(channel.sent.size(), 1u);
  const std::string& body = channel.sent[0].body;
  // The reference's footer: "Raw JSON:" and {"alerts": [...]}.
  const std::string separator = "\n\n---\nRaw JSON:\n";
  const auto at = body.find(separator);
  ASSERT_NE(at, std::string::npos) << body;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(body.substr(at + separator.size())).get(root), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(root["alerts"].at(0)["symbol"]), "AAPL");
  EXPECT_EQ(std::string_view(root["alerts"].at(0)["action"]), "SELL");
}

TEST_F(TrendsJobTest, ManySymbolsStillOneMessageWithASubjectOfAtMostOneHundredCharacters) {
  for (int i = 0; i < 40; ++i) AddSeries("SYMBOL" + std::to_string(100 + i), 100, 1.01, 25, kT0);
  RecordingNotifier channel;
  auto run = Job({&channel}).RunOnce(kT0);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->alerts.size(), 40u);
  ASSERT_EQ(channel.sent.size(), 1u);
  EXPECT_EQ(channel.sent[0].subject.size(), 100u);  // ASCII only: bytes == characters
  for (int i = 0; i < 40; ++i) {
    EXPECT_NE(channel.sent[0].body.find("SYMBOL" + std::to_string(100 + i)), std::string::npos);
  }
}

}  // namespace
}  // namespace stockpipe

namespace stockpipe {
namespace {

// [rules] through TrendsSettingsFrom: AAPL on sma_cross, the rest on the reference rule.
TEST_F(TrendsJobTest, EachSymbolIsEvaluatedByItsConfiguredRule) {
  TrendsConfig config;
  config.lang = "en";
  config.cooldown = 0;
  config.rules.symbols.push_back({"AAPL", {"sma_cross", {{"fast", "2"}, {"slow", "4"}}}});
  auto settings = TrendsSettingsFrom(config, DefaultIntervals());
  ASSERT_TRUE(settings) << settings.error();
  // AAPL: a golden cross on the newest point (fast 12 > slow 11 after 10 == 10). On the reference
  // rule these five points would be too few.
  std::vector<Tick> ticks;
  const std::vector<double> aapl{10, 10, 10, 10, 14};
  for (std::size_t i = 0; i < aapl.size(); ++i) {
    ticks.push_back({"AAPL", kT0 - static_cast<Micros>(4 - i) * kMinute, aapl[i], ""});
  }
  ASSERT_TRUE(clean_->Upsert(ticks).ok());
  AddSeries("MSFT", 100, 0.99, 30, kT0);  // falling: BUY on the reference rule
  RecordingNotifier channel;
  TrendsJob job(*clean_, *state_, {&channel}, *settings);
  auto run = job.RunOnce(kT0);
  ASSERT_TRUE(run) << run.error();
  ASSERT_EQ(run->alerts.size(), 2u);
  EXPECT_EQ(run->alerts[0].symbol, "AAPL");
  EXPECT_EQ(run->alerts[0].rule->Name(), "sma_cross");
  EXPECT_EQ(run->alerts[0].decision.reason, "golden_cross");
  EXPECT_EQ(run->alerts[1].symbol, "MSFT");
  EXPECT_EQ(run->alerts[1].rule->Name(), "pct_sma");
  ASSERT_EQ(channel.sent.size(), 1u);
  EXPECT_EQ(channel.sent[0].subject, "Alerts: AAPL:BUY, Alerts: MSFT:BUY");
  EXPECT_NE(channel.sent[0].body.find("Reason: golden cross: SMA2 crossed above SMA4"),
            std::string::npos)
      << channel.sent[0].body;
  EXPECT_NE(channel.sent[0].body.find(AlertBlock(run->alerts[1], Lang::kEn, kT0)),
            std::string::npos);
}

TEST_F(TrendsJobTest, ABadRuleInTheConfigIsAnErrorNamingTheKey) {
  TrendsConfig config;
  config.rules.symbols.push_back({"AAPL", {"sma_cross", {{"slow", "1"}}}});
  auto settings = TrendsSettingsFrom(config, DefaultIntervals());
  ASSERT_FALSE(settings);
  EXPECT_EQ(settings.error(), "rules.AAPL: fast must be smaller than slow, got fast=10 slow=1");
}

}  // namespace
}  // namespace stockpipe
