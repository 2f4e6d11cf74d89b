#include "rules/sma_cross_rule.h"

#include <fmt/format.h>

#include "indicators/common.h"

namespace stockpipe::rules {
namespace {

struct Words {
  std::string_view golden, death;  // {fast} {slow}
};

constexpr Words kEnglish{"golden cross: SMA{} crossed above SMA{}",
                         "death cross: SMA{} crossed below SMA{}"};
constexpr Words kPolish{"złoty krzyż: SMA{} przebiła SMA{} od dołu",
                        "krzyż śmierci: SMA{} przebiła SMA{} od góry"};

double MeanOf(std::span<const double> values) {
  return indicators::SumOf(values) / static_cast<double>(values.size());
}

}  // namespace

Status SmaCrossParams::validate() const {
  if (fast < 1) return Status::Error(fmt::format("fast must be >= 1, got {}", fast));
  if (slow > indicators::kMaxPeriod) {
    return Status::Error(fmt::format("slow must be <= {}, got {}", indicators::kMaxPeriod, slow));
  }
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
  if (prices.size() < Needed()) return TooFewPoints();
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

AlertLines SmaCrossRule::AlertText(const Decision& d, Lang lang) const {
  const Words& w = lang == Lang::kPl ? kPolish : kEnglish;
  const SmaCrossParams& p = params_;
  return {
      fmt::format(fmt::runtime(d.reason == "golden_cross" ? w.golden : w.death), p.fast, p.slow),
      fmt::format("SMA{}: {:.2f}, SMA{}: {:.2f}", p.fast, d.Value("fast_sma"), p.slow,
                  d.Value("slow_sma")),
      fmt::format("RULE=sma_cross, fast={}, slow={}", p.fast, p.slow)};
}

}  // namespace stockpipe::rules
