// Rules on bar closes (rules/on_bars.h) decide the same in the three places they run: the same
// random ticks go through (a) a scheduled TrendsJob after each batch, (b) StreamingSignals over the
// same batches (restarted now and then), each with its own real SQLite CLEAN and state stores, and
// (c) backtest::Replay over the final CLEAN history. (a) and (b) must decide exactly the same bars
// with the same numbers and send the same alerts; every decision with an action must be a backtest
// signal and every backtest signal such a decision. The first batch stays inside the first minute:
// without a memory a check decides only the newest closed bar, so nothing may have closed before
// the first check for (a) and (b) to see every bar the backtest sees.
//
// Then what the definition says of memory and late ticks: a run with no newly closed bar decides
// nothing; a symbol first seen with only its open bar has every later bar decided; a late tick
// rewriting a decided bar updates it (the next decision reads the new close) but does not decide it
// again; alerts no channel took leave their bars undecided.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "alerts/outbox/outbox.h"
#include "backtest/backtest.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "support/temp_dir.h"
#include "trends/streaming_signals.h"
#include "trends/trends_job.h"

namespace stockpipe {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kT0 = 1'755'182'100'000'000;  // 2025-08-14T14:35:00Z, a 5-minute boundary

const std::vector<Interval> kIntervals = {{"1m", kMinute}, {"5m", 5 * kMinute}};
const std::vector<std::string> kSymbols = {"CROSS", "PCT", "RSI", "BOLL"};

class RecordingNotifier final : public Notifier {
 public:
  explicit RecordingNotifier(bool fail = false) : fail_(fail) {}
  std::string_view Name() const override { return "recording"; }
  Status Send(const AlertMessage& message) override {
    sent.push_back(message);
    return fail_ ? Status::Error("channel is down") : Status::Ok();
  }
  std::vector<AlertMessage> sent;

 private:
  bool fail_;
};

TrendsSettings Settings(Micros cooldown) {
  TrendsConfig config;
  config.lang = "en";
  config.cooldown = cooldown;
  // The reference rule, short enough for 5-minute bars of a few hours.
  config.thresh_pct = 0.4;
  config.lookback_points = 3;
  config.sma_window = 4;
  config.min_points = 4;
  config.eps_pct = 0.05;
  config.rules.fallback = {"pct_sma", {}, "5m"};
  config.rules.symbols = {
      {"CROSS", {"sma_cross", {{"fast", "2"}, {"slow", "5"}}, "1m"}},
      {"RSI", {"rsi", {{"period", "3"}, {"lower", "40"}, {"upper", "60"}}, "1m"}},
      {"BOLL", {"bollinger", {{"period", "6"}, {"k", "1"}}, "5m"}}};
  auto settings = TrendsSettingsFrom(config, kIntervals);
  EXPECT_TRUE(settings) << settings.error();
  return *settings;
}

struct Stores {
  std::unique_ptr<SqliteCleanStore> clean;
  std::unique_ptr<SqliteStateStore> state;
};

Stores Open(const testing::TempDir& dir, const std::string& name) {
  auto clean = SqliteCleanStore::Open((dir.path() / (name + "_clean.db")).string(),
                                      sqlite::Sync::kNormal, kIntervals);
  auto state = SqliteStateStore::Open((dir.path() / (name + "_state.db")).string());
  EXPECT_TRUE(clean && state);
  return {std::move(*clean), std::move(*state)};
}

Tick TickOf(const std::string& symbol, Micros timestamp, double price) {
  Tick tick;
  tick.symbol = symbol;
  tick.timestamp = timestamp;
  tick.price = price;
  return tick;
}

// Ticks of every symbol, oldest first: random walks with random gaps (several ticks in most
// minutes, some minutes and whole 5-minute bars without any).
std::vector<Tick> RandomTicks(std::mt19937_64& rng, Micros span) {
  std::normal_distribution<double> step(0, 0.004);
  std::uniform_int_distribution<Micros> gap(1 * kSecond, 40 * kSecond);
  std::uniform_real_distribution<double> coin(0, 1);
  std::vector<Tick> ticks;
  for (const std::string& symbol : kSymbols) {
    double price = 100;
    for (Micros t = kT0 + gap(rng) / 4; t < kT0 + span; t += gap(rng)) {
      if (coin(rng) < 0.01) t += 7 * kMinute;  // a gap of whole bars
      price *= std::exp(step(rng));
      ticks.push_back(TickOf(symbol, t, std::round(price * 100) / 100));
    }
  }
  std::stable_sort(ticks.begin(), ticks.end(),
                   [](const Tick& a, const Tick& b) { return a.timestamp < b.timestamp; });
  return ticks;
}

// A decision as the three places can compare it.
using Key = std::tuple<std::string, Micros>;  // symbol, bar start
struct Seen {
  std::optional<Action> action;
  std::string reason;
  double last = 0;
  std::vector<double> numbers;
  friend bool operator==(const Seen&, const Seen&) = default;
};

Seen SeenOf(const rules::Decision& d) {
  Seen s{d.action, std::string(d.reason), d.last, {}};
  for (const rules::Number& n : d.Numbers()) s.numbers.push_back(n.value);
  return s;
}

void Collect(const std::vector<BarDecision>& bars, std::map<Key, Seen>& into) {
  for (const BarDecision& b : bars) {
    EXPECT_TRUE(into.emplace(Key{b.symbol, b.start}, SeenOf(b.decision)).second)
        << b.symbol << " bar " << FormatCanonical(b.start) << " decided twice";
  }
}

struct Scenario {
  std::uint64_t seed;
  Micros cooldown;
  int restart_every;  // streaming restarted every n batches; 0: never
};

class BarRulesAgree : public ::testing::TestWithParam<Scenario> {};

TEST_P(BarRulesAgree, ScheduledStreamingAndBacktestDecideTheSameBars) {
  const Scenario scenario = GetParam();
  std::mt19937_64 rng(scenario.seed);
  testing::TempDir dir;
  Stores scheduled = Open(dir, "scheduled");
  Stores streamed = Open(dir, "streamed");
  const TrendsSettings settings = Settings(scenario.cooldown);
  RecordingNotifier scheduled_channel, streamed_channel;
  Micros now = kT0;
  auto make_streaming = [&] {
    return std::make_unique<StreamingSignals>(*streamed.clean, *streamed.state,
                                              std::vector<Notifier*>{&streamed_channel}, settings,
                                              [&] { return now; });
  };
  auto streaming = make_streaming();

  const std::vector<Tick> ticks = RandomTicks(rng, 5 * 60 * kMinute);
  std::map<Key, Seen> by_scheduled, by_streaming;
  std::vector<std::string> scheduled_alerts, streamed_alerts;
  std::size_t first_end = 0;
  while (first_end < ticks.size() && ticks[first_end].timestamp < kT0 + kMinute) ++first_end;
  int batch_number = 0;
  for (std::size_t begin = 0; begin < ticks.size(); ++batch_number) {
    const std::size_t end =
        batch_number == 0 ? first_end : std::min(ticks.size(), begin + 1 + rng() % 60);
    std::vector<Tick> batch(ticks.begin() + static_cast<long>(begin),
                            ticks.begin() + static_cast<long>(end));
    begin = end;
    // A batch arrives in any order and may carry a tick twice (the last price wins).
    std::shuffle(batch.begin(), batch.end(), rng);
    if (!batch.empty() && rng() % 4 == 0) {
      Tick again = batch[rng() % batch.size()];
      again.price = std::round(again.price * 101) / 100;
      batch.push_back(again);
    }
    now = (batch.empty() ? now
                         : std::max_element(batch.begin(), batch.end(),
                                            [](const Tick& a, const Tick& b) {
                                              return a.timestamp < b.timestamp;
                                            })
                               ->timestamp) +
          kSecond;
    if (scenario.restart_every && batch_number % scenario.restart_every == 0) {
      streaming = make_streaming();
    }

    ASSERT_TRUE(scheduled.clean->Upsert(batch).ok());
    TrendsJob job(*scheduled.clean, *scheduled.state, {&scheduled_channel}, settings);
    auto run = job.RunOnce(now);
    ASSERT_TRUE(run) << run.error();
    Collect(run->bars, by_scheduled);
    for (const Alert& a : run->alerts) scheduled_alerts.push_back(AlertBody(a, Lang::kEn));

    ASSERT_TRUE(streamed.clean->Upsert(batch).ok());
    auto result = streaming->OnDurable(batch);
    ASSERT_TRUE(result) << result.error();
    EXPECT_TRUE(result->decisions.empty()) << "every symbol is on bars";
    Collect(result->run.bars, by_streaming);
    for (const Alert& a : result->run.alerts) streamed_alerts.push_back(AlertBody(a, Lang::kEn));
  }

  // (a) == (b): the same bars, decisions, alerts and messages.
  EXPECT_EQ(by_scheduled.size(), by_streaming.size());
  for (const auto& [key, seen] : by_scheduled) {
    const auto it = by_streaming.find(key);
    ASSERT_NE(it, by_streaming.end()) << std::get<0>(key) << " " << std::get<1>(key);
    EXPECT_EQ(it->second, seen) << std::get<0>(key) << " " << FormatCanonical(std::get<1>(key));
  }
  EXPECT_EQ(scheduled_alerts, streamed_alerts);
  ASSERT_EQ(scheduled_channel.sent.size(), streamed_channel.sent.size());
  for (std::size_t i = 0; i < scheduled_channel.sent.size(); ++i) {
    EXPECT_EQ(scheduled_channel.sent[i].subject, streamed_channel.sent[i].subject);
    EXPECT_EQ(scheduled_channel.sent[i].body, streamed_channel.sent[i].body);
  }
  for (const std::string& body : scheduled_alerts) {
    EXPECT_TRUE(body.find(", on=1m") != std::string::npos ||
                body.find(", on=5m") != std::string::npos)
        << body;
  }

  // (c): the backtest over the same CLEAN history decides every closed bar, the same way.
  std::map<std::string, std::size_t> signals_by_symbol;
  std::size_t bars_decided = 0;
  for (const std::string& symbol : kSymbols) {
    auto history = scheduled.clean->LastN(symbol, std::size_t{1} << 40);
    ASSERT_TRUE(history);
    const rules::Rule& rule = settings.rules->For(symbol);
    const backtest::SymbolReport report = backtest::Replay(symbol, *history, rule, {});
    auto bars = scheduled.clean->Candles({symbol, rule.On()->name, {}, {}, 1'000'000});
    ASSERT_TRUE(bars);
    // Every bar but the open one was decided by (a), and the backtest replayed as many.
    std::size_t decided = 0;
    for (const auto& [key, seen] : by_scheduled) decided += std::get<0>(key) == symbol;
    EXPECT_EQ(decided, bars->size() - 1) << symbol;
    EXPECT_EQ(report.summary.points, bars->size() - 1) << symbol;
    bars_decided += decided;
    std::size_t actions = 0;
    for (const auto& [key, seen] : by_scheduled) {
      if (std::get<0>(key) == symbol && seen.action) ++actions;
    }
    EXPECT_EQ(report.signals.size(), actions) << symbol;
    for (const backtest::Signal& signal : report.signals) {
      const auto it = by_scheduled.find(Key{symbol, signal.time});
      ASSERT_NE(it, by_scheduled.end()) << symbol << " " << FormatCanonical(signal.time);
      EXPECT_EQ(it->second, SeenOf(signal.decision)) << symbol << " " << signal.time;
      EXPECT_EQ(signal.price, it->second.last);
    }
    signals_by_symbol[symbol] = report.signals.size();
  }
  // The comparison covered actions of every rule, not only silence.
  for (const std::string& symbol : kSymbols) EXPECT_GT(signals_by_symbol[symbol], 0u) << symbol;
  EXPECT_GT(bars_decided, 300u);
  EXPECT_FALSE(scheduled_alerts.empty());
}

INSTANTIATE_TEST_SUITE_P(Walks, BarRulesAgree,
                         ::testing::Values(Scenario{1, 0, 0}, Scenario{2, 0, 3},
                                           Scenario{3, 10 * kMinute, 0},
                                           Scenario{4, 10 * kMinute, 1}));

// --- memory and late ticks -----------------------------------------------------------------------

class BarMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override { stores_ = Open(dir_, "memory"); }

  // One tick per 20 s at `price` in each of the minutes [first, last] after kT0.
  void AddMinutes(int first, int last, double price) {
    std::vector<Tick> ticks;
    for (int m = first; m <= last; ++m) {
      for (int s = 0; s < 60; s += 20) ticks.push_back(TickOf("CROSS", At(m) + s * kSecond, price));
    }
    ASSERT_TRUE(stores_.clean->Upsert(ticks).ok());
  }
  static Micros At(int minute) { return kT0 + minute * kMinute; }

  TrendsRun Run(std::vector<Notifier*> channels, Micros now) {
    TrendsJob job(*stores_.clean, *stores_.state, std::move(channels), Settings(0));
    auto run = job.RunOnce(now);
    EXPECT_TRUE(run) << run.error();
    return run ? std::move(*run) : TrendsRun{};
  }

  testing::TempDir dir_;
  Stores stores_;
};

TEST_F(BarMemoryTest, ARunWithNoNewlyClosedBarDecidesNothing) {
  AddMinutes(0, 7, 100);  // minute 7 is open
  RecordingNotifier channel;
  TrendsRun first = Run({&channel}, At(8));
  // No memory yet: only the newest closed bar.
  ASSERT_EQ(first.bars.size(), 1u);
  EXPECT_EQ(first.bars[0].symbol, "CROSS");
  EXPECT_EQ(first.bars[0].start, At(6));
  EXPECT_EQ(first.bars[0].interval, "1m");
  EXPECT_EQ(first.bars[0].decision.reason, "no_cross");
  EXPECT_TRUE(Run({&channel}, At(8)).bars.empty());
  // More ticks in the open bar close nothing.
  ASSERT_TRUE(
      stores_.clean->Upsert(std::vector<Tick>{TickOf("CROSS", At(7) + 50 * kSecond, 101)}).ok());
  EXPECT_TRUE(Run({&channel}, At(8)).bars.empty());
  // Two bars closed since: both, oldest first (minute 9 is open).
  AddMinutes(8, 9, 100);
  TrendsRun later = Run({&channel}, At(10));
  ASSERT_EQ(later.bars.size(), 2u);
  EXPECT_EQ(later.bars[0].start, At(7));
  EXPECT_EQ(later.bars[0].decision.last, 101);
  EXPECT_EQ(later.bars[0].decision.reason, "golden_cross");  // 100.5 over 100.2
  EXPECT_EQ(later.bars[1].start, At(8));
  EXPECT_EQ(channel.sent.size(), 1u);
}

TEST_F(BarMemoryTest, ASymbolFirstSeenWithOnlyItsOpenBarHasEveryLaterBarDecided) {
  AddMinutes(0, 0, 100);
  RecordingNotifier channel;
  EXPECT_TRUE(Run({&channel}, At(1)).bars.empty());
  // Three bars closed since: all three, although nothing was decided before.
  AddMinutes(1, 3, 100);
  TrendsRun later = Run({&channel}, At(4));
  ASSERT_EQ(later.bars.size(), 3u);
  EXPECT_EQ(later.bars[0].start, At(0));
  EXPECT_EQ(later.bars[0].decision.reason, rules::kTooFewPoints);
}

TEST_F(BarMemoryTest, ALateTickUpdatesADecidedBarWithoutDecidingItAgain) {
  AddMinutes(0, 6, 100);
  RecordingNotifier channel;
  ASSERT_EQ(Run({&channel}, At(7)).bars.size(), 1u);  // minute 5 decided
  // A late tick lifts minute 5's close: the bar follows CLEAN, but is not decided again.
  const Tick late = TickOf("CROSS", At(5) + 59 * kSecond, 130);
  ASSERT_TRUE(stores_.clean->Upsert(std::span(&late, 1)).ok());
  auto bars = stores_.clean->Candles({"CROSS", "1m", At(5), At(6), 10});
  ASSERT_TRUE(bars && bars->size() == 1);
  EXPECT_EQ(bars->front().close, 130);
  EXPECT_TRUE(Run({&channel}, At(7)).bars.empty());
  StreamingSignals streaming(*stores_.clean, *stores_.state, std::vector<Notifier*>{&channel},
                             Settings(0), [] { return At(7); });
  auto batch = streaming.OnDurable(std::span(&late, 1));
  ASSERT_TRUE(batch) << batch.error();
  EXPECT_TRUE(batch->run.bars.empty());
  // The next bar's decision reads minute 5's new close.
  AddMinutes(7, 7, 100);
  TrendsRun next = Run({&channel}, At(8));
  ASSERT_EQ(next.bars.size(), 1u);
  EXPECT_EQ(next.bars[0].start, At(6));
  EXPECT_DOUBLE_EQ(next.bars[0].decision.Value("fast_sma"), (130.0 + 100.0) / 2);
  EXPECT_DOUBLE_EQ(next.bars[0].decision.Value("slow_sma"), (100.0 * 4 + 130.0) / 5);
}

TEST_F(BarMemoryTest, BarsWhoseAlertsNoChannelTookAreDecidedAgain) {
  // Flat, then up: minute 6 closes at 120, a golden cross of SMA2 over SMA5.
  AddMinutes(0, 5, 100);
  RecordingNotifier channel;
  ASSERT_EQ(Run({&channel}, At(6)).bars.size(), 1u);
  AddMinutes(6, 7, 120);
  RecordingNotifier down(/*fail=*/true);
  TrendsRun failed = Run({&down}, At(8));
  ASSERT_EQ(failed.bars.size(), 2u);  // minutes 5 (flat) and 6
  ASSERT_EQ(failed.alerts.size(), 1u);
  EXPECT_EQ(failed.alerts[0].decision.reason, "golden_cross");
  EXPECT_EQ(failed.channel_errors.size(), 1u);
  // Not remembered: the next run decides minutes 5 and 6 again and the alert goes out.
  TrendsRun retried = Run({&channel}, At(8));
  ASSERT_EQ(retried.bars.size(), 2u);
  EXPECT_EQ(retried.bars[1].start, At(6));
  ASSERT_EQ(retried.alerts.size(), 1u);
  ASSERT_EQ(channel.sent.size(), 1u);
  EXPECT_NE(channel.sent[0].body.find("Params: RULE=sma_cross, fast=2, slow=5, on=1m"),
            std::string::npos)
      << channel.sent[0].body;
  EXPECT_TRUE(Run({&channel}, At(8)).bars.empty());
}

// The state store, failing the first write of a bar memory.
class FailingMemory final : public StateStore {
 public:
  explicit FailingMemory(StateStore& next) : next_(next) {}
  Result<std::optional<std::string>> Get(std::string_view key) override { return next_.Get(key); }
  Status Put(std::string_view key, std::string_view value) override {
    if (key.starts_with("trends/bars/") && fail_next) {
      fail_next = false;
      return Status::Error("disk I/O error (injected)");
    }
    return next_.Put(key, value);
  }
  bool fail_next = false;

 private:
  StateStore& next_;
};

TEST_F(BarMemoryTest, AStreamingBatchRetriedAfterItsAlertsWereQueuedQueuesThemOnce) {
  RecordingNotifier channel;
  OutboxOptions options;
  options.path = (dir_.path() / "outbox.db").string();
  options.clock = [] { return At(8); };
  auto outbox = Outbox::Open(std::move(options), {&channel});
  ASSERT_TRUE(outbox) << outbox.error();
  FailingMemory state(*stores_.state);
  StreamingSignals streaming(*stores_.clean, state, **outbox, Settings(0), [] { return At(8); });
  const auto minutes = [](int first, int last, double price) {
    std::vector<Tick> ticks;
    for (int m = first; m <= last; ++m) ticks.push_back(TickOf("CROSS", At(m), price));
    return ticks;
  };
  const std::vector<Tick> history = minutes(0, 5, 100);
  ASSERT_TRUE(stores_.clean->Upsert(history).ok());
  ASSERT_TRUE(streaming.OnDurable(history));  // decides minute 4, remembered

  // Minutes 5 (flat) and 6 (a golden cross) close; the memory write after the queue fails.
  const std::vector<Tick> batch = minutes(6, 7, 120);
  ASSERT_TRUE(stores_.clean->Upsert(batch).ok());
  state.fail_next = true;
  auto failed = streaming.OnDurable(batch);
  ASSERT_FALSE(failed);
  auto retried = streaming.OnDurable(batch);
  ASSERT_TRUE(retried) << retried.error();
  ASSERT_EQ(retried->run.bars.size(), 2u);
  ASSERT_EQ(retried->run.alerts.size(), 1u);
  EXPECT_FALSE(retried->queued_now) << "the retry queued its message a second time";
  ASSERT_EQ(channel.sent.size(), 1u);
  EXPECT_NE(channel.sent[0].body.find("on=1m"), std::string::npos);
  // Remembered now: the batch replayed once more decides nothing.
  StreamingSignals restarted(*stores_.clean, state, **outbox, Settings(0), [] { return At(8); });
  auto replayed = restarted.OnDurable(batch);
  ASSERT_TRUE(replayed) << replayed.error();
  EXPECT_TRUE(replayed->run.bars.empty());
  EXPECT_EQ(channel.sent.size(), 1u);
}

}  // namespace
}  // namespace stockpipe
