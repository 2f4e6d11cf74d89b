// The indicators against an independent implementation: npm trading-signals 8.3.0 (pinned in
// tests/peers), run by node on the same generated series (oracle.mjs). Every value is compared
// with 1e-9 relative tolerance where the definitions match. Where they differ by definition the
// test says how and checks the difference itself:
// - EMA seeding: ours (default) seeds with the SMA of the first n values, trading-signals with the
//   first value. With EmaSeed::kFirstValue we must equal it from the n-th input; with the SMA seed
//   the gap must be exactly the seed gap decayed by (1 - alpha) per tick.
// - MACD: trading-signals reports from input `slow` with a signal that is still its seed; ours
//   from input slow + signal - 1. Compared where both report. MACD and histogram are differences
//   of EMAs near the price level, so their tolerance is 1e-9 of the price (a relative tolerance on
//   a difference near 0 would measure cancellation, not the definition).
// - RSI of a series that has not moved since its start: ours 50, trading-signals 100. Near 0 its
//   formula cancels; see the RSI comparison.
// - Zero-volume ticks: trading-signals' VWAP returns null for them; ours keeps its value.
// Percent change is trading-signals' ROC times 100; rolling min/max are Donchian channels of
// candles with high = low = price; rolling VWAP is VWMA.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "indicators/bollinger.h"
#include "indicators/ema.h"
#include "indicators/macd.h"
#include "indicators/percent_change.h"
#include "indicators/rolling_extreme.h"
#include "indicators/rsi.h"
#include "indicators/sma.h"
#include "indicators/vwap.h"
#include "indicators/walks.h"
#include "support/shell.h"
#include "support/temp_dir.h"

namespace stockpipe::indicators {
namespace {

using nlohmann::json;
constexpr double kTolerance = 1e-9;

struct ParamSet {
  int sma, ema, rsi, bb_period;
  double bb_k;
  int extreme, roc, vwma, fast, slow, signal;
};

const std::vector<ParamSet> kSets = {
    {20, 10, 14, 20, 2.0, 20, 10, 20, 12, 26, 9},  // the usual defaults
    {5, 3, 2, 5, 1.5, 3, 1, 5, 3, 7, 4},           // short windows: warm-ups and seeds up front
    {1, 1, 1, 1, 2.0, 1, 1, 1, 1, 2, 1},           // the degenerate period 1
};

std::vector<testing::Walk> Walks() {
  return {
      testing::RandomWalk({.seed = 1, .length = 2000}),
      testing::RandomWalk({.seed = 2, .length = 1500, .step_sd = 0.03, .jump_chance = 0.03}),
      // Starts flat (RSI's documented difference) and has a stretch of 40 zero volumes.
      testing::RandomWalk({.seed = 3,
                           .length = 1200,
                           .flat_chance = 0.02,
                           .flat_start = 60,
                           .zero_volume_stretch_at = 500}),
      testing::RandomWalk({.seed = 4, .length = 3000, .start = 5, .step_sd = 0.002}),
  };
}

// Runs oracle.mjs with node on the walks; the results per walk per parameter set.
json RunOracle(const std::vector<testing::Walk>& walks) {
  json input;
  for (const testing::Walk& w : walks)
    input["series"].push_back({{"prices", w.prices}, {"volumes", w.volumes}});
  for (const ParamSet& s : kSets) {
    input["sets"].push_back({{"sma", s.sma},
                             {"ema", s.ema},
                             {"rsi", s.rsi},
                             {"bb", {s.bb_period, s.bb_k}},
                             {"extreme", s.extreme},
                             {"roc", s.roc},
                             {"vwma", s.vwma},
                             {"macd", {s.fast, s.slow, s.signal}}});
  }
  const stockpipe::testing::TempDir dir("indicators-oracle");
  const std::string in = (dir.path() / "input.json").string();
  std::ofstream(in) << input.dump(-1, ' ', false, json::error_handler_t::strict);
  const std::string script = std::string(STOCKPIPE_PEERS_DIR) + "/../indicators/oracle.mjs";
  const std::string command =
      "node '" + script + "' '" + STOCKPIPE_PEERS_DIR + "' '" + in + "' 2>&1";
  const auto [status, out] = stockpipe::testing::RunShell(command);
  EXPECT_EQ(status, 0) << "node oracle.mjs failed: " << out.substr(0, 2000);
  json parsed = json::parse(out, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << out.substr(0, 2000);
  return parsed;
}

class Comparison {
 public:
  explicit Comparison(std::string where) : where_(std::move(where)) {}
  // |ours - theirs| <= 1e-9 * max(|ours|, |theirs|, scale).
  void Near(const std::string& what, std::size_t tick, double ours, double theirs,
            double scale = 0) {
    ++compared_;
    const double bound = kTolerance * std::max({std::fabs(ours), std::fabs(theirs), scale});
    if (std::fabs(ours - theirs) <= bound) return;
    if (++failures_ <= 10) {
      ADD_FAILURE() << where_ << " " << what << " tick " << tick << ": ours " << ours
                    << ", trading-signals " << theirs;
    }
  }
  void Presence(const std::string& what, std::size_t tick, bool ours, bool theirs) {
    if (ours == theirs) return;
    if (++failures_ <= 10) {
      ADD_FAILURE() << where_ << " " << what << " tick " << tick << ": ours "
                    << (ours ? "has" : "has no") << " value, trading-signals "
                    << (theirs ? "has" : "has none");
    }
  }
  std::size_t compared() const { return compared_; }

 private:
  std::string where_;
  std::size_t compared_ = 0;
  std::size_t failures_ = 0;
};

// Same-definition indicators: presence must agree tick by tick, values within tolerance.
void CompareScalar(Comparison& c, const std::string& what,
                   const std::vector<std::optional<double>>& ours, const json& theirs,
                   double factor = 1) {
  ASSERT_EQ(ours.size(), theirs.size()) << what;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    c.Presence(what, i, ours[i].has_value(), !theirs[i].is_null());
    if (ours[i] && !theirs[i].is_null())
      c.Near(what, i, *ours[i], theirs[i].get<double>() * factor);
  }
}

TEST(IndicatorOracle, MatchesTradingSignalsOnGeneratedSeries) {
  const std::vector<testing::Walk> walks = Walks();
  const json oracle = RunOracle(walks);
  ASSERT_TRUE(oracle.contains("results"));
  std::size_t total = 0;
  for (std::size_t w = 0; w < walks.size(); ++w) {
    const std::vector<double>& prices = walks[w].prices;
    const std::vector<double>& volumes = walks[w].volumes;
    for (std::size_t s = 0; s < kSets.size(); ++s) {
      const ParamSet& set = kSets[s];
      const json& ts = oracle["results"][w][s];
      Comparison c("walk " + std::to_string(w) + " set " + std::to_string(s));

      CompareScalar(c, "SMA", *SmaSeries(prices, {.period = set.sma}), ts["sma"]);
      CompareScalar(c, "EMA first-value seed",
                    *EmaSeries(prices, {.period = set.ema, .seed = EmaSeed::kFirstValue}),
                    ts["ema"]);
      CompareScalar(c, "min", *RollingMinSeries(prices, {.period = set.extreme}), ts["min"]);
      CompareScalar(c, "max", *RollingMaxSeries(prices, {.period = set.extreme}), ts["max"]);
      CompareScalar(c, "percent change", *PercentChangeSeries(prices, {.period = set.roc}),
                    ts["roc"], 100.0);
      CompareScalar(c, "rolling VWAP", *RollingVwapSeries(prices, volumes, {.period = set.vwma}),
                    ts["vwma"]);

      // EMA with the SMA seed: the gap to the first-value seed is the seed gap decayed.
      const auto ema = *EmaSeries(prices, {.period = set.ema});
      const double keep = 1.0 - 2.0 / (set.ema + 1.0);
      const std::size_t seeded = static_cast<std::size_t>(set.ema) - 1;
      const double gap0 = *ema[seeded] - ts["ema"][seeded].get<double>();
      double decay = 1;
      for (std::size_t i = seeded; i < prices.size(); ++i, decay *= keep) {
        c.Presence("EMA", i, ema[i].has_value(), !ts["ema"][i].is_null());
        if (!ema[i] || ts["ema"][i].is_null()) continue;
        c.Near("EMA minus the decayed seed gap", i, *ema[i] - gap0 * decay,
               ts["ema"][i].get<double>());
      }

      // RSI: the same except while the series has not moved since its start. trading-signals
      // forms 100 - 100 / (1 + RS), which cancels near 0 (it says 0 where the exact value is
      // 3e-15): its absolute error is a few ulps of 100, so RSI is compared to 1e-9 relative or
      // 1e-13 absolute, whichever is larger. Its RSI(1) never reports (it keeps `interval`
      // prices and needs two), so period 1 is checked in definitions_test.cc instead.
      const auto rsi = *RsiSeries(prices, {.period = set.rsi});
      std::size_t first_move = 1;
      while (first_move < prices.size() && prices[first_move] == prices[0]) ++first_move;
      for (std::size_t i = 0; i < prices.size(); ++i) {
        if (set.rsi == 1) {
          EXPECT_TRUE(ts["rsi"][i].is_null()) << "trading-signals' RSI(1) reports now: compare it";
          continue;
        }
        c.Presence("RSI", i, rsi[i].has_value(), !ts["rsi"][i].is_null());
        if (!rsi[i] || ts["rsi"][i].is_null()) continue;
        if (i < first_move) {
          EXPECT_EQ(*rsi[i], 50.0);
          EXPECT_EQ(ts["rsi"][i].get<double>(), 100.0);  // if this fails, the oracle changed
          continue;
        }
        c.Near("RSI", i, *rsi[i], ts["rsi"][i].get<double>(), 1e-13 / kTolerance);
      }

      const auto bands = *BollingerSeries(prices, {.period = set.bb_period, .k = set.bb_k});
      for (std::size_t i = 0; i < prices.size(); ++i) {
        c.Presence("Bollinger", i, bands[i].has_value(), !ts["bb"][i].is_null());
        if (!bands[i] || ts["bb"][i].is_null()) continue;
        c.Near("Bollinger lower", i, bands[i]->lower, ts["bb"][i]["lower"].get<double>());
        c.Near("Bollinger middle", i, bands[i]->middle, ts["bb"][i]["middle"].get<double>());
        c.Near("Bollinger upper", i, bands[i]->upper, ts["bb"][i]["upper"].get<double>());
      }

      // Session VWAP: where trading-signals has a value (volume > 0); elsewhere ours holds on.
      const auto vwap = *VwapSeries(prices, volumes);
      for (std::size_t i = 0; i < prices.size(); ++i) {
        if (volumes[i] > 0) {
          ASSERT_FALSE(ts["vwap"][i].is_null()) << i;
          ASSERT_TRUE(vwap[i]) << i;
          c.Near("VWAP", i, *vwap[i], ts["vwap"][i].get<double>());
        } else {
          EXPECT_TRUE(ts["vwap"][i].is_null()) << i;
          EXPECT_EQ(vwap[i], i == 0 ? std::nullopt : vwap[i - 1]) << i;
        }
      }

      // MACD, both seeds. First-value seed: equal wherever ours reports. SMA seed: after the
      // seed gaps have decayed below 1e-13 of themselves (they shrink at least by the slow
      // EMA's 1 - 2/(slow+1) a tick; the signal EMA's faster decay adds a constant factor).
      const std::size_t first = static_cast<std::size_t>(set.slow + set.signal - 2);
      const double slow_keep = 1.0 - 2.0 / (set.slow + 1.0);
      const std::size_t decayed =
          first + static_cast<std::size_t>(std::ceil(std::log(1e-13) / std::log(slow_keep)));
      for (EmaSeed seed : {EmaSeed::kFirstValue, EmaSeed::kSma}) {
        const auto macd = *MacdSeries(
            prices, {.fast = set.fast, .slow = set.slow, .signal = set.signal, .seed = seed});
        const std::size_t from = seed == EmaSeed::kFirstValue ? first : decayed;
        for (std::size_t i = 0; i < prices.size(); ++i) {
          const json& t = ts["macd"][i];
          ASSERT_EQ(macd[i].has_value(), i >= first) << i;
          ASSERT_EQ(!t.is_null(), i + 1 >= static_cast<std::size_t>(set.slow)) << i;
          if (i < from) continue;
          c.Near("MACD", i, macd[i]->macd, t["macd"].get<double>(), prices[i]);
          c.Near("MACD signal", i, macd[i]->signal, t["signal"].get<double>(), prices[i]);
          c.Near("MACD histogram", i, macd[i]->histogram, t["histogram"].get<double>(), prices[i]);
        }
      }
      total += c.compared();
    }
  }
  std::printf("compared %zu values with trading-signals\n", total);
  EXPECT_GT(total, 100'000u);
}

}  // namespace
}  // namespace stockpipe::indicators
