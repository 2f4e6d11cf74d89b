// The four rules' Evaluate and validation (headers: pct_sma_rule.h, sma_cross_rule.h, rsi_rule.h,
// bollinger_rule.h).
#include <fmt/format.h>

#include <cmath>

#include "indicators/bollinger.h"
#include "indicators/common.h"
#include "indicators/rsi.h"
#include "rules/bollinger_rule.h"
#include "rules/pct_sma_rule.h"
#include "rules/rsi_rule.h"
#include "rules/sma_cross_rule.h"

namespace stockpipe::rules {
namespace {

constexpr int kMaxPoints = indicators::kMaxPeriod;

std::span<const double> Newest(std::span<const double> prices, std::size_t n) {
  return prices.subspan(prices.size() - n);
}

double MeanOf(std::span<const double> values) {
  return indicators::SumOf(values) / static_cast<double>(values.size());
}

Decision TooFew() {
  Decision d;
  d.reason = kTooFewPoints;
  return d;
}

}  // namespace

// pct_sma ---------------------------------------------------------------------------------------

std::string PctSmaRule::Describe() const {
  return fmt::format(
      "pct_sma THRESH_PCT={} LOOKBACK_POINTS={} SMA_WINDOW={} MIN_POINTS={} EPS_PCT={}",
      params_.thresh_pct, params_.lookback_points, params_.sma_window, params_.min_points,
      params_.eps_pct);
}

Decision PctSmaRule::Evaluate(std::span<const double> prices) const {
  Decision d;
  d.pct_sma = EvaluatePctSma(prices, params_);
  const Evaluation& e = d.pct_sma;
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

// sma_cross -------------------------------------------------------------------------------------

Status SmaCrossParams::validate() const {
  if (fast < 1) return Status::Error(fmt::format("fast must be >= 1, got {}", fast));
  if (slow > kMaxPoints)
    return Status::Error(fmt::format("slow must be <= {}, got {}", kMaxPoints, slow));
  if (fast >= slow) {
    return Status::Error(
        fmt::format("fast must be smaller than slow, got fast={} slow={}", fast, slow));
  }
  return Status::Ok();
}

std::string SmaCrossRule::Describe() const {
  return fmt::format("sma_cross fast={} slow={}", params_.fast, params_.slow);
}

Decision SmaCrossRule::Evaluate(std::span<const double> prices) const {
  if (prices.size() < Needed()) return TooFew();
  const auto window = Newest(prices, Needed());
  const auto now = window.subspan(1);
  const auto before = window.first(window.size() - 1);
  const auto fast = static_cast<std::size_t>(params_.fast);
  // Each mean summed oldest first over its own window, as indicators::Sma on its wrap ticks.
  const double fast_now = MeanOf(now.last(fast));
  const double slow_now = MeanOf(now);
  const double fast_before = MeanOf(before.last(fast));
  const double slow_before = MeanOf(before);
  Decision d;
  d.last = window.back();
  d.Add("fast_sma", fast_now);
  d.Add("slow_sma", slow_now);
  d.Add("prev_fast_sma", fast_before);
  d.Add("prev_slow_sma", slow_before);
  if (fast_before <= slow_before && fast_now > slow_now) {
    d.action = Action::kBuy;
    d.reason = "golden_cross";
  } else if (fast_before >= slow_before && fast_now < slow_now) {
    d.action = Action::kSell;
    d.reason = "death_cross";
  } else {
    d.reason = "no_cross";
  }
  return d;
}

// rsi -------------------------------------------------------------------------------------------

Status RsiRuleParams::validate() const {
  if (period < 1 || period > kMaxPoints) {
    return Status::Error(fmt::format("period must be 1..{}, got {}", kMaxPoints, period));
  }
  if (!(lower >= 0 && lower <= 100))
    return Status::Error(fmt::format("lower must be 0..100, got {}", lower));
  if (!(upper >= 0 && upper <= 100))
    return Status::Error(fmt::format("upper must be 0..100, got {}", upper));
  if (lower >= upper) {
    return Status::Error(
        fmt::format("lower must be smaller than upper, got lower={} upper={}", lower, upper));
  }
  if (window < period + 2 || window > kMaxPoints) {
    return Status::Error(fmt::format("window must be {}..{} (period + 2 or more), got {}",
                                     period + 2, kMaxPoints, window));
  }
  return Status::Ok();
}

std::string RsiRule::Describe() const {
  return fmt::format("rsi period={} lower={} upper={} window={}", params_.period, params_.lower,
                     params_.upper, params_.window);
}

Decision RsiRule::Evaluate(std::span<const double> prices) const {
  if (prices.size() < Needed()) return TooFew();
  auto rsi = indicators::Rsi::Create({params_.period});
  if (!rsi) return TooFew();  // unreachable with validated params
  std::optional<double> before;
  std::optional<double> now;
  for (double price : Newest(prices, Needed())) {
    before = now;
    now = rsi->Update(price);
  }
  Decision d;
  d.last = prices.back();
  d.Add("rsi", *now);
  d.Add("prev_rsi", *before);
  d.Add("lower", params_.lower);
  d.Add("upper", params_.upper);
  if (*before >= params_.lower && *now < params_.lower) {
    d.action = Action::kBuy;
    d.reason = "entered_oversold";
  } else if (*before <= params_.upper && *now > params_.upper) {
    d.action = Action::kSell;
    d.reason = "entered_overbought";
  } else {
    d.reason = "no_cross";
  }
  return d;
}

// bollinger -------------------------------------------------------------------------------------

Status BollingerRuleParams::validate() const {
  if (period < 2 || period > kMaxPoints) {
    return Status::Error(fmt::format("period must be 2..{}, got {}", kMaxPoints, period));
  }
  if (!std::isfinite(k) || k <= 0)
    return Status::Error(fmt::format("k must be a finite number > 0, got {}", k));
  return Status::Ok();
}

std::string BollingerRule::Describe() const {
  return fmt::format("bollinger period={} k={} mode={}", params_.period, params_.k,
                     params_.mode == BollingerMode::kMomentum ? "momentum" : "reversion");
}

Decision BollingerRule::Evaluate(std::span<const double> prices) const {
  if (prices.size() < Needed()) return TooFew();
  auto bands = indicators::Bollinger::Create({params_.period, params_.k});
  if (!bands) return TooFew();  // unreachable with validated params
  const auto window = Newest(prices, Needed());
  std::optional<indicators::Bands> before;
  std::optional<indicators::Bands> now;
  for (double price : window) {
    before = now;
    now = bands->Update(price);
  }
  const double last = window.back();
  const double prev = window[window.size() - 2];
  Decision d;
  d.last = last;
  d.Add("upper", now->upper);
  d.Add("middle", now->middle);
  d.Add("lower", now->lower);
  d.Add("prev_upper", before->upper);
  d.Add("prev_lower", before->lower);
  const bool momentum = params_.mode == BollingerMode::kMomentum;
  if (prev <= before->upper && last > now->upper) {
    d.action = momentum ? Action::kBuy : Action::kSell;
    d.reason = "broke_above_upper";
  } else if (prev >= before->lower && last < now->lower) {
    d.action = momentum ? Action::kSell : Action::kBuy;
    d.reason = "broke_below_lower";
  } else {
    d.reason = "inside_bands";
  }
  return d;
}

}  // namespace stockpipe::rules
