#include "rules/pct_sma_rule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "rules/alert_text.h"

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

namespace stockpipe::rules {
namespace {

// The reference's own words around its numbers.
struct Words {
  std::string_view diff, versus, points, conjunction, below, above;
};

constexpr Words kEnglish{"diff", "vs last", "pt(s)", "and", "price below SMA", "price above SMA"};
constexpr Words kPolish{"różnica", "w porównaniu z ostatnimi", "pkt.",
                        "i",       "cena poniżej SMA",         "cena powyżej SMA"};

}  // namespace

std::string PctSmaRule::Describe() const {
  return fmt::format(
      "pct_sma THRESH_PCT={} LOOKBACK_POINTS={} SMA_WINDOW={} MIN_POINTS={} EPS_PCT={}",
      params_.thresh_pct, params_.lookback_points, params_.sma_window, params_.min_points,
      params_.eps_pct);
}

Decision PctSmaRule::DecisionOf(const Evaluation& e) {
  Decision d;
  d.action = e.action;
  if (e.action) {
    d.reason = *e.action == Action::kBuy ? "drop_below_sma" : "rise_above_sma";
  } else {
    d.reason = NoSignalCode(e.reason);
  }
  if (e.reason == NoSignal::kTooFewPoints && !e.action) return d;
  d.last = e.last;
  d.Add("sma", e.sma);
  d.Add("delta_pct", e.delta_pct);
  d.Add("dev_pct", e.dev_pct);
  return d;
}

Decision PctSmaRule::Evaluate(std::span<const double> prices) const {
  return DecisionOf(EvaluatePctSma(prices, params_));
}

AlertLines PctSmaRule::AlertText(const Decision& d, Lang lang) const {
  const Words& w = lang == Lang::kPl ? kPolish : kEnglish;
  const PctSmaParams& p = params_;
  const bool buy = d.action.value_or(Action::kBuy) == Action::kBuy;
  return {
      fmt::format("{:+.2f}% {} {} {} {} {}{}", d.Value("delta_pct"), w.versus, p.lookback_points,
                  w.points, w.conjunction, buy ? w.below : w.above, p.sma_window),
      fmt::format("SMA{}: {:.2f} ({}: {:.2f}%)", p.sma_window, d.Value("sma"), w.diff,
                  d.Value("dev_pct")),
      fmt::format("THRESH_PCT={}%, LOOKBACK_POINTS={}, SMA_WINDOW={}, MIN_POINTS={}, EPS_PCT={}%",
                  PythonFloatRepr(p.thresh_pct), p.lookback_points, p.sma_window, p.min_points,
                  PythonFloatRepr(p.eps_pct))};
}

}  // namespace stockpipe::rules
