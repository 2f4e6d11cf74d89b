// The synthetic feed: the reference producer's random walk, reproducible with a seed.
//
// Each round gives every symbol one tick: price *= 1 + drift + N(0, VOLATILITY), where drift is
// DRIFT_UP for symbols marked `+` in TRENDS, -DRIFT_DOWN for those marked `-`, else 0; every
// SPIKE_EVERY-th round a spike of SPIKE_PCT percent (in the trend's direction, alternating for
// symbols without one) is applied. Prices are rounded to cents, like the reference.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/stream.h"
#include "core/timestamp.h"

namespace stockpipe {

struct SyntheticParams {
  std::vector<std::string> symbols = {"AAPL", "MSFT", "GOOGL", "AMZN", "TSLA"};  // SYMBOLS
  double base_price = 100.0;                     // BASE_PRICE
  double volatility = 0.002;                     // VOLATILITY
  double drift_up = 0.001;                       // DRIFT_UP
  double drift_down = 0.001;                     // DRIFT_DOWN
  double interval_sec = 1.0;                     // INTERVAL_SEC
  double duration_sec = 0;                       // DURATION_SEC, 0 = until stopped
  std::map<std::string, int> trends;             // TRENDS "AAPL:+,MSFT:-" -> +1 / -1
  int spike_every = 0;                           // SPIKE_EVERY rounds, 0 = never
  double spike_pct = 3.0;                        // SPIKE_PCT
  std::map<std::string, double> base_per_symbol; // BASE_PER_SYM "AAPL:225,MSFT:420"
  std::uint64_t seed = 0;                        // --seed; 0 = from the clock
};

// The reference variable names, in the order `--help` lists them.
inline constexpr std::string_view kSyntheticEnvKeys[] = {
    "SYMBOLS",      "BASE_PRICE", "VOLATILITY", "DRIFT_UP",  "DRIFT_DOWN",  "INTERVAL_SEC",
    "DURATION_SEC", "TRENDS",     "SPIKE_EVERY", "SPIKE_PCT", "BASE_PER_SYM"};

// Sets one parameter by its reference name from text; errors name the key and the value.
Status SetSyntheticParam(SyntheticParams& params, std::string_view key, std::string_view value);

class SyntheticFeed {
 public:
  explicit SyntheticFeed(const SyntheticParams& params);

  // Appends one tick per symbol, stamped `t`, as reference-format JSON records.
  void NextRound(Micros t, std::vector<StreamRecord>& out);
  std::size_t symbol_count() const { return states_.size(); }

 private:
  struct SymbolState {
    std::string symbol;
    double price;
    int trend;  // +1, -1 or 0
  };
  SyntheticParams params_;
  std::vector<SymbolState> states_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> noise_;
  std::uint64_t round_ = 0;
};

// `2025-08-14T14:38:12Z` (fraction only when not whole seconds): the reference producers' form.
std::string ReferenceTimestamp(Micros t);

}  // namespace stockpipe
