#include "trends/bar_decisions.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <span>

namespace stockpipe {

std::string BarMemoryKey(std::string_view symbol, const rules::Rule& rule) {
  return fmt::format("trends/bars/{}/{}", symbol, rule.Describe());
}

Result<ClosedBars> DecideClosedBars(CleanStore& store, StateStore& state, std::string_view symbol,
                                    const rules::Rule& rule) {
  const Interval& interval = *rule.On();
  const std::size_t needed = std::max<std::size_t>(rule.Needed(), 1);
  auto remembered = state.Get(BarMemoryKey(symbol, rule));
  if (!remembered) return remembered.status();
  std::optional<Micros> after;
  if (*remembered) {
    Micros start = 0;
    const std::string& text = **remembered;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), start);
    if (ec == std::errc() && end == text.data() + text.size()) after = start;
  }

  // The window's history, then the bars to decide, then the open bar.
  std::vector<Candle> bars;
  std::size_t first = 0;
  CandleQuery query{std::string(symbol), interval.name, std::nullopt, std::nullopt, needed + 1};
  if (!after) {
    auto newest = store.Candles(query);
    if (!newest) return newest.status();
    bars = std::move(*newest);
    first = bars.size() >= 2 ? bars.size() - 2 : bars.size();
  } else {
    query.from = *after + 1;
    query.limit = kMaxBarsPerCheck + 1;
    auto fresh = store.Candles(query);
    if (!fresh) return fresh.status();
    if (!fresh->empty() && needed > 1) {
      CandleQuery before{std::string(symbol), interval.name, std::nullopt, fresh->front().start,
                         needed - 1};
      auto history = store.Candles(before);
      if (!history) return history.status();
      bars = std::move(*history);
    }
    first = bars.size();
    bars.insert(bars.end(), std::make_move_iterator(fresh->begin()),
                std::make_move_iterator(fresh->end()));
  }

  ClosedBars out;
  if (!bars.empty()) {
    out.open = bars.back().start;
    // Nothing closed yet and nothing remembered: bars from the open one on are new.
    if (!after && bars.size() == 1) out.remember = bars.back().start - 1;
  }
  std::vector<double> closes;
  closes.reserve(bars.size());
  for (const Candle& bar : bars) closes.push_back(bar.close);
  for (std::size_t i = first; i + 1 < bars.size(); ++i) {
    const std::size_t begin = i + 1 >= needed ? i + 1 - needed : 0;
    out.decisions.push_back({std::string(symbol), interval.name, bars[i].start,
                             rule.Evaluate(std::span(closes).subspan(begin, i + 1 - begin))});
  }
  if (!out.decisions.empty()) out.remember = out.decisions.back().start;
  return out;
}

Status RememberDecided(StateStore& state, std::string_view symbol, const rules::Rule& rule,
                       Micros start) {
  return state.Put(BarMemoryKey(symbol, rule), std::to_string(start));
}

}  // namespace stockpipe
