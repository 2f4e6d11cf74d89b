#include "indicators/macd.h"

#include <fmt/format.h>

namespace stockpipe::indicators {

Result<Macd> Macd::Create(MacdParams params) {
  if (Status s = CheckPeriod("MACD fast period", params.fast); !s) return s;
  if (Status s = CheckPeriod("MACD slow period", params.slow); !s) return s;
  if (Status s = CheckPeriod("MACD signal period", params.signal); !s) return s;
  if (params.fast >= params.slow) {
    return Status::Error(
        fmt::format("MACD fast period must be shorter than the slow one, got fast {} and slow {}",
                    params.fast, params.slow));
  }
  return Macd(*Ema::Create({params.fast, params.seed}), *Ema::Create({params.slow, params.seed}),
              *Ema::Create({params.signal, params.seed}));
}

std::optional<MacdValue> Macd::Update(double value) {
  const std::optional<double> fast = fast_.Update(value);
  const std::optional<double> slow = slow_.Update(value);
  // fast < slow, so the fast EMA has a value whenever the slow one has.
  if (!slow) return std::nullopt;
  const double macd = *fast - *slow;
  const std::optional<double> signal = signal_.Update(macd);
  if (!signal) return std::nullopt;
  const MacdValue out{macd, *signal, macd - *signal};
  value_ = out;
  return out;  // not value_: copying the optional back costs a store-forwarding stall
}

Result<std::vector<std::optional<MacdValue>>> MacdSeries(std::span<const double> values,
                                                         MacdParams params) {
  Result<Macd> macd = Macd::Create(params);
  if (!macd) return macd.status();
  return FeedAll(*macd, values);
}

}  // namespace stockpipe::indicators
