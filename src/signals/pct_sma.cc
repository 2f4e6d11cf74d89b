#include "signals/pct_sma.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace stockpipe {

int PctSmaParams::needed() const {
  return std::max({min_points, sma_window, lookback_points + 1});
}

Status PctSmaParams::validate() const {
  if (!std::isfinite(thresh_pct) || thresh_pct < 0) {
    return Status::Error(
        fmt::format("THRESH_PCT must be a finite number >= 0, got {}", thresh_pct));
  }
  if (!std::isfinite(eps_pct) || eps_pct < 0) {
    return Status::Error(fmt::format("EPS_PCT must be a finite number >= 0, got {}", eps_pct));
  }
  if (sma_window < 1)
    return Status::Error(fmt::format("SMA_WINDOW must be >= 1, got {}", sma_window));
  if (lookback_points < 1) {
    return Status::Error(fmt::format("LOOKBACK_POINTS must be >= 1, got {}", lookback_points));
  }
  if (min_points < 0)
    return Status::Error(fmt::format("MIN_POINTS must be >= 0, got {}", min_points));
  constexpr int kMaxPoints = 1'000'000;
  if (needed() > kMaxPoints) {
    return Status::Error(
        fmt::format("the rule would need {} points; the limit is {}", needed(), kMaxPoints));
  }
  return Status::Ok();
}

std::string_view ActionName(Action action) {
  return action == Action::kBuy ? "BUY" : "SELL";
}

std::string_view NoSignalCode(NoSignal reason) {
  switch (reason) {
    case NoSignal::kTooFewPoints:
      return "too_few_points";
    case NoSignal::kZeroBase:
      return "zero_base";
    case NoSignal::kNearSmaNoise:
      return "near_sma_noise";
    case NoSignal::kNoSignal:
      return "no_signal";
  }
  return "no_signal";
}

Evaluation EvaluatePctSma(std::span<const double> prices, const PctSmaParams& params) {
  Evaluation e;
  const auto needed = static_cast<std::size_t>(params.needed());
  if (prices.size() < needed || prices.empty()) {
    e.reason = NoSignal::kTooFewPoints;
    return e;
  }
  const std::size_t size = prices.size();
  const auto window = static_cast<std::size_t>(params.sma_window);
  // Summed oldest to newest, as Python's sum() over the slice does: parity to the last bit.
  double sum = 0;
  for (std::size_t i = size - window; i < size; ++i) sum += prices[i];
  e.last = prices[size - 1];
  e.sma = sum / static_cast<double>(window);
  const double ref = prices[size - 1 - static_cast<std::size_t>(params.lookback_points)];
  if (e.sma == 0 || ref == 0) {
    e.reason = NoSignal::kZeroBase;
    return e;
  }
  e.has_numbers = true;
  e.delta_pct = (e.last / ref - 1.0) * 100.0;
  e.dev_pct = std::abs(e.last - e.sma) / e.sma * 100.0;
  if (e.dev_pct < params.eps_pct) {
    e.reason = NoSignal::kNearSmaNoise;
  } else if (e.delta_pct <= -params.thresh_pct && e.last < e.sma) {
    e.action = Action::kBuy;
  } else if (e.delta_pct >= params.thresh_pct && e.last > e.sma) {
    e.action = Action::kSell;
  } else {
    e.reason = NoSignal::kNoSignal;
  }
  return e;
}

}  // namespace stockpipe
