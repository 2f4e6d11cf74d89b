// Streaming == scheduled on random data: random walks of several symbols, each on its own rule
// kind, fed in random batch splits with out-of-order and duplicate-timestamp ticks. For every
// tick the streaming decision must equal the rule over LastN(Needed()) of a CLEAN store (real
// SQLite) written tick by tick: what the scheduled run reads right after that tick. The alerts
// must equal those of real TrendsJobs run after each tick with the same clock and cooldown.
#include "trends/streaming_signals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "support/subprocess.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"

namespace stockpipe {
namespace {

constexpr Micros kMinute = 60'000'000;
constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z

class RecordingNotifier final : public Notifier {
 public:
  std::string_view Name() const override { return "recording"; }
  Status Send(const AlertMessage& message) override {
    sent.push_back(message);
    return Status::Ok();
  }
  std::vector<AlertMessage> sent;
};

const std::vector<std::string> kSymbols = {"PCT", "CROSS", "RSI", "BMOM", "BREV"};

std::shared_ptr<const rules::RuleBook> Book() {
  RulesConfig config{
      {"pct_sma", {}},
      {{"CROSS", {"sma_cross", {{"fast", "3"}, {"slow", "8"}}}},
       {"RSI", {"rsi", {{"period", "5"}, {"lower", "35"}, {"upper", "65"}}}},
       {"BMOM", {"bollinger", {{"period", "10"}, {"k", "1.5"}}}},
       {"BREV", {"bollinger", {{"period", "10"}, {"k", "1.5"}, {"mode", "reversion"}}}}}};
  auto book = rules::RuleBook::From(config, PctSmaParams{});
  EXPECT_TRUE(book) << book.error();
  return *book;
}

// Ticks of every symbol in time order, then disturbed: some swapped with a later one (out of
// order), some followed later by a second price for the same timestamp.
std::vector<Tick> RandomTicks(std::mt19937_64& rng, int per_symbol, bool duplicates) {
  std::normal_distribution<double> step(0, 0.012);
  std::vector<Tick> ticks;
  std::vector<double> price(kSymbols.size(), 100);
  for (int i = 0; i < per_symbol; ++i) {
    for (std::size_t s = 0; s < kSymbols.size(); ++s) {
      price[s] *= std::exp(step(rng));
      ticks.push_back({kSymbols[s], kT0 + i * kMinute, std::round(price[s] * 100) / 100, ""});
    }
  }
  std::uniform_real_distribution<double> coin(0, 1);
  for (std::size_t i = 0; i + 12 < ticks.size(); ++i) {
    if (coin(rng) < 0.05) std::swap(ticks[i], ticks[i + 1 + rng() % 11]);
  }
  if (duplicates) {
    for (std::size_t i = 40; i < ticks.size(); ++i) {
      if (coin(rng) < 0.03) {
        Tick again = ticks[i - 1 - rng() % 30];
        again.price = std::round(again.price * (1 + step(rng)) * 100) / 100;
        ticks.insert(ticks.begin() + static_cast<long>(i) + 1, again);
      }
    }
  }
  return ticks;
}

struct Scenario {
  std::uint64_t seed;
  bool duplicates;
  int restart_every;  // batches; 0: never (a restart re-seeds every ring from CLEAN)
};

class StreamingEqualsScheduled : public ::testing::TestWithParam<Scenario> {};

TEST_P(StreamingEqualsScheduled, DecisionsAndAlertsPerTick) {
  const Scenario scenario = GetParam();
  std::mt19937_64 rng(scenario.seed);
  testing::TempDir dir;
  auto clean = SqliteCleanStore::Open((dir.path() / "clean.db").string());
  auto state = SqliteStateStore::Open((dir.path() / "state.db").string());
  auto ref_state = SqliteStateStore::Open((dir.path() / "ref_state.db").string());
  ASSERT_TRUE(clean && state && ref_state);
  // One reference store per symbol, so a reference run looks at the ticked symbol only.
  std::map<std::string, std::unique_ptr<SqliteCleanStore>> ref;
  for (const std::string& s : kSymbols) {
    auto store = SqliteCleanStore::Open((dir.path() / ("ref_" + s + ".db")).string());
    ASSERT_TRUE(store);
    ref[s] = std::move(*store);
  }

  TrendsSettings settings;
  settings.rules = Book();
  settings.cooldown = 20 * kMinute;
  Micros now = kT0;
  RecordingNotifier streamed, scheduled;
  auto make = [&] {
    return std::make_unique<StreamingSignals>(**clean, **state, std::vector<Notifier*>{&streamed},
                                              settings, [&] { return now; });
  };
  auto streaming = make();

  const std::vector<Tick> ticks = RandomTicks(rng, 300, scenario.duplicates);
  std::vector<std::string> streamed_alerts, scheduled_alerts;
  std::map<std::string, int> alerts_by_symbol;
  std::size_t checked = 0;
  int batch_number = 0;
  for (std::size_t begin = 0; begin < ticks.size(); ++batch_number) {
    const std::size_t end = std::min(ticks.size(), begin + 1 + rng() % 40);
    std::vector<Tick> batch(ticks.begin() + static_cast<long>(begin),
                            ticks.begin() + static_cast<long>(end));
    begin = end;
    now += 7 * kMinute;
    if (scenario.restart_every && batch_number % scenario.restart_every == 0) {
      streaming = make();
    }
    ASSERT_TRUE((*clean)->Upsert(batch).ok());
    auto result = streaming->OnDurable(batch);
    ASSERT_TRUE(result) << result.error();
    for (const Alert& a : result->run.alerts) {
      streamed_alerts.push_back(AlertBody(a, Lang::kEn));
      ++alerts_by_symbol[a.symbol];
    }

    // The reference: ticks in (symbol, timestamp) order, duplicates in batch order, each
    // written alone and followed by what the scheduled run reads and decides.
    std::stable_sort(batch.begin(), batch.end(), [](const Tick& a, const Tick& b) {
      return a.symbol != b.symbol ? a.symbol < b.symbol : a.timestamp < b.timestamp;
    });
    ASSERT_EQ(result->decisions.size(), batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Tick& tick = batch[i];
      SqliteCleanStore& store = *ref[tick.symbol];
      ASSERT_TRUE(store.Upsert(std::span(&tick, 1)).ok());
      const rules::Rule& rule = settings.rules->For(tick.symbol);
      auto points = store.LastN(tick.symbol, rule.Needed());
      ASSERT_TRUE(points);
      std::vector<double> prices;
      for (const PricePoint& p : *points) prices.push_back(p.price);
      const rules::Decision want = rule.Evaluate(prices);
      const TickDecision& got = result->decisions[i];
      ASSERT_EQ(got.symbol, tick.symbol);
      ASSERT_EQ(got.timestamp, tick.timestamp);
      ASSERT_EQ(got.decision.action, want.action) << tick.symbol << " tick " << i;
      ASSERT_EQ(got.decision.reason, want.reason) << tick.symbol << " tick " << i;
      ASSERT_EQ(got.decision.last, want.last);
      ASSERT_EQ(got.decision.number_count, want.number_count);
      for (std::size_t n = 0; n < want.number_count; ++n) {
        ASSERT_EQ(got.decision.numbers[n].value, want.numbers[n].value);
      }
      ++checked;

      TrendsJob job(store, **ref_state, {&scheduled}, settings);
      auto run = job.RunOnce(now);
      ASSERT_TRUE(run) << run.error();
      for (const Alert& a : run->alerts) {
        scheduled_alerts.push_back(AlertBody(a, Lang::kEn));
      }
    }
  }
  EXPECT_EQ(checked, ticks.size());
  EXPECT_EQ(streamed_alerts, scheduled_alerts);
  // One message per batch with alerts, never more.
  EXPECT_LE(streamed.sent.size(), static_cast<std::size_t>(batch_number));
  // Every rule kind fired, so the comparison covered actions and the cooldown, not only silence.
  for (const std::string& s : kSymbols) EXPECT_GT(alerts_by_symbol[s], 0) << s;
}

INSTANTIATE_TEST_SUITE_P(Walks, StreamingEqualsScheduled,
                         ::testing::Values(Scenario{1, true, 0}, Scenario{2, true, 0},
                                           Scenario{3, true, 0}, Scenario{4, false, 3},
                                           Scenario{5, false, 1}));

}  // namespace
}  // namespace stockpipe
