#include "rules/bollinger_rule.h"

#include <fmt/format.h>

#include <cmath>

#include "indicators/bollinger.h"
#include "indicators/common.h"
#include "rules/alert_text.h"

namespace stockpipe::rules {
namespace {

struct Words {
  std::string_view above_upper, below_lower, bands;
};

constexpr Words kEnglish{"price broke above the upper Bollinger band",
                         "price broke below the lower Bollinger band", "lower/middle/upper"};
constexpr Words kPolish{"cena przebiła górną wstęgę Bollingera",
                        "cena przebiła dolną wstęgę Bollingera", "dolna/środkowa/górna"};

std::string_view ModeName(BollingerMode mode) {
  return mode == BollingerMode::kMomentum ? "momentum" : "reversion";
}

}  // namespace

Status BollingerRuleParams::validate() const {
  if (period < 2 || period > indicators::kMaxPeriod) {
    return Status::Error(
        fmt::format("period must be 2..{}, got {}", indicators::kMaxPeriod, period));
  }
  if (!std::isfinite(k) || k <= 0)
    return Status::Error(fmt::format("k must be a finite number > 0, got {}", k));
  return Status::Ok();
}

std::string BollingerRule::Describe() const {
  return fmt::format("bollinger period={} k={} mode={}", params_.period, params_.k,
                     ModeName(params_.mode));
}

Decision BollingerRule::Evaluate(std::span<const double> prices) const {
  if (prices.size() < Needed()) return TooFewPoints();
  auto bands = indicators::Bollinger::Create({params_.period, params_.k});
  if (!bands) return TooFewPoints();  // unreachable with validated params
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

AlertLines BollingerRule::AlertText(const Decision& d, Lang lang) const {
  const Words& w = lang == Lang::kPl ? kPolish : kEnglish;
  const BollingerRuleParams& p = params_;
  return {std::string(d.reason == "broke_above_upper" ? w.above_upper : w.below_lower),
          fmt::format("BB{} {}: {:.2f} / {:.2f} / {:.2f}", p.period, w.bands, d.Value("lower"),
                      d.Value("middle"), d.Value("upper")),
          fmt::format("RULE=bollinger, period={}, k={}, mode={}", p.period, PythonFloatRepr(p.k),
                      ModeName(p.mode))};
}

}  // namespace stockpipe::rules
