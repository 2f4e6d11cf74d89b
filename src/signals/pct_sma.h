// The reference PCT + SMA rule, with exact parity to the Python pipeline it replaces.
//
// With n = max(MIN_POINTS, SMA_WINDOW, LOOKBACK_POINTS + 1) points needed, last = newest price,
// sma = mean of the newest SMA_WINDOW prices, ref = the price LOOKBACK_POINTS points before the
// newest, delta = (last / ref - 1) * 100 and dev = |last - sma| / sma * 100:
//   fewer than n points, sma == 0 or ref == 0  -> no decision
//   dev < EPS_PCT                              -> no decision (noise around the SMA)
//   delta <= -THRESH_PCT and last < sma        -> BUY
//   delta >= THRESH_PCT and last > sma         -> SELL
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "core/result.h"

namespace stockpipe {

struct PctSmaParams {
  double thresh_pct = 1.5;   // THRESH_PCT
  int lookback_points = 15;  // LOOKBACK_POINTS
  int sma_window = 20;       // SMA_WINDOW
  int min_points = 20;       // MIN_POINTS
  double eps_pct = 0.2;      // EPS_PCT

  // Points the rule needs before it can decide.
  int needed() const;
  // Ok when usable, else what is wrong ("SMA_WINDOW must be >= 1, got 0").
  Status validate() const;
};

enum class Action { kBuy, kSell };
std::string_view ActionName(Action action);  // "BUY" / "SELL"

// Why there is no decision, with the reference's codes.
enum class NoSignal { kTooFewPoints, kZeroBase, kNearSmaNoise, kNoSignal };
std::string_view NoSignalCode(NoSignal reason);  // "too_few_points", ...

struct Evaluation {
  std::optional<Action> action;
  NoSignal reason = NoSignal::kNoSignal;  // meaningful only without an action
  bool has_numbers = false;               // false when there were too few points
  double last = 0;
  double sma = 0;
  double delta_pct = 0;
  double dev_pct = 0;
};

// `prices` oldest first; only the newest needed() are read.
Evaluation EvaluatePctSma(std::span<const double> prices, const PctSmaParams& params);

}  // namespace stockpipe
