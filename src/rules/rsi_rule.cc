#include "rules/rsi_rule.h"

#include <fmt/format.h>

#include "indicators/common.h"
#include "indicators/rsi.h"
#include "rules/alert_text.h"

namespace stockpipe::rules {
namespace {

struct Words {
  std::string_view oversold, overbought;  // {period} {threshold}
  std::string_view previous;
};

constexpr Words kEnglish{"RSI{} fell below {} (oversold)", "RSI{} rose above {} (overbought)",
                         "previous"};
constexpr Words kPolish{"RSI{} spadł poniżej {} (wyprzedanie)",
                        "RSI{} wzrósł powyżej {} (wykupienie)", "poprzednio"};

}  // namespace

Status RsiRuleParams::validate() const {
  constexpr int kMaxPoints = indicators::kMaxPeriod;
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
  if (prices.size() < Needed()) return TooFewPoints();
  auto rsi = indicators::Rsi::Create({params_.period});
  if (!rsi) return TooFewPoints();  // unreachable with validated params
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

AlertLines RsiRule::AlertText(const Decision& d, Lang lang) const {
  const Words& w = lang == Lang::kPl ? kPolish : kEnglish;
  const RsiRuleParams& p = params_;
  const bool low = d.reason == "entered_oversold";
  return {fmt::format(fmt::runtime(low ? w.oversold : w.overbought), p.period,
                      PythonFloatRepr(low ? p.lower : p.upper)),
          fmt::format("RSI{}: {:.2f} ({}: {:.2f})", p.period, d.Value("rsi"), w.previous,
                      d.Value("prev_rsi")),
          fmt::format("RULE=rsi, period={}, lower={}, upper={}, window={}", p.period,
                      PythonFloatRepr(p.lower), PythonFloatRepr(p.upper), p.window)};
}

}  // namespace stockpipe::rules
