#include "backtest/backtest.h"

#include <algorithm>

namespace stockpipe::backtest {
namespace {

// A long-only book: at most one position, all in.
class LongOnly {
 public:
  void On(Action action, double price) {
    if (action == Action::kBuy && !long_) {
      long_ = true;
      entry_ = price;
    } else if (action == Action::kSell && long_) {
      long_ = false;
      growth_ *= price / entry_;
      ++trades_;
    }
  }
  // The return in percent with an open position marked at `last`.
  double ReturnPct(double last) const {
    const double growth = long_ ? growth_ * (last / entry_) : growth_;
    return (growth - 1.0) * 100.0;
  }
  bool open() const { return long_; }
  std::size_t trades() const { return trades_; }

 private:
  bool long_ = false;
  double entry_ = 0;
  double growth_ = 1.0;
  std::size_t trades_ = 0;
};

// The closes of the closed bars of `points` (oldest first, one per timestamp) at `length`, as
// points at each bar's start: every bar but the newest, which is still open.
std::vector<PricePoint> ClosedBarCloses(std::span<const PricePoint> points, Micros length) {
  std::vector<PricePoint> closes;
  for (const PricePoint& p : points) {
    const Micros start = BarStart(p.timestamp, length);
    if (closes.empty() || closes.back().timestamp != start) {
      closes.push_back({start, p.price});
    } else {
      closes.back().price = p.price;
    }
  }
  if (!closes.empty()) closes.pop_back();
  return closes;
}

}  // namespace

SymbolReport Replay(std::string_view symbol, std::span<const PricePoint> points,
                    const rules::Rule& rule, const Options& options) {
  SymbolReport report;
  Summary& s = report.summary;
  s.symbol = std::string(symbol);
  s.rule = rule.Describe();
  if (options.to) {
    const auto end =
        std::upper_bound(points.begin(), points.end(), *options.to,
                         [](Micros t, const PricePoint& p) { return t < p.timestamp; });
    points = points.first(static_cast<std::size_t>(end - points.begin()));
  }
  std::vector<PricePoint> bars;
  if (const Interval* on = rule.On()) {
    bars = ClosedBarCloses(points, on->length);
    points = bars;
  }
  std::vector<double> prices;
  prices.reserve(points.size());
  for (const PricePoint& p : points) prices.push_back(p.price);
  const std::size_t needed = rule.Needed();
  LongOnly all;
  LongOnly alerted;
  std::optional<Micros> last_alerted[2];  // by action: kBuy, kSell
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (options.from && points[i].timestamp < *options.from) continue;
    if (s.points++ == 0) s.first_price = prices[i];
    s.last_price = prices[i];
    const std::size_t begin = i + 1 >= needed ? i + 1 - needed : 0;
    rules::Decision d = rule.Evaluate(std::span(prices).subspan(begin, i + 1 - begin));
    if (!d.action) continue;
    Signal signal{points[i].timestamp, *d.action, prices[i], d, true};
    auto& last = last_alerted[signal.action == Action::kBuy ? 0 : 1];
    if (options.cooldown > 0 && last && signal.time - *last < options.cooldown) {
      signal.alerted = false;
    } else {
      last = signal.time;
    }
    ++s.signals;
    ++(signal.action == Action::kBuy ? s.buys : s.sells);
    all.On(signal.action, signal.price);
    if (signal.alerted) {
      ++s.alerted;
      alerted.On(signal.action, signal.price);
    }
    report.signals.push_back(std::move(signal));
  }
  s.trades = all.trades();
  s.open_position = all.open();
  s.return_pct = all.ReturnPct(s.last_price);
  s.alerted_trades = alerted.trades();
  s.alerted_return_pct = alerted.ReturnPct(s.last_price);
  s.buy_and_hold_pct = s.first_price != 0 ? (s.last_price / s.first_price - 1.0) * 100.0 : 0;
  return report;
}

}  // namespace stockpipe::backtest
