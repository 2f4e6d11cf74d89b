// Backtest: a symbol's price history replayed point by point through its rule.
//
// At every point the rule sees the newest Rule::Needed() points up to and including it: the window
// the scheduled trends run would read had it run right after that point arrived. Every decision
// with an action is a signal (raw signals: no cooldown).
//
// A rule on bars (`on = "5m"`, rules/on_bars.h) is replayed on the closes of the history's bars
// at its interval instead (the close of a bar: its last point by time): every closed bar is
// decided, i.e. every bar but the newest (the one holding the last point read, up to `to`). Its
// signals are timed at their bar's start and priced at its close; `from` keeps the bars starting
// from there on, and `points` in the summary counts bars. These are the bars CLEAN keeps
// (core/candles.h), so the decisions are those of the scheduled run and streaming.
//
// The summary follows the signals long-only: flat + BUY buys at the signal's price, long + SELL
// sells at its price (one trade), a BUY while long and a SELL while flat change nothing; a
// position still open at the end is marked at the last price (and counted in `open_position`, not
// in `trades`). The return compounds the trades: (product of sell / buy, times last / buy when
// open, minus 1) * 100. It is computed twice: following every signal, and following only the
// signals the configured cooldown would let through as alerts (a signal is held back when the
// same action for the symbol was let through less than `cooldown` earlier, by data time, as
// TrendsJob does by clock time). Buy-and-hold: last / first price of the range, minus 1, * 100.
// No fees, no slippage.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clean_store.h"
#include "rules/rule.h"

namespace stockpipe::backtest {

struct Options {
  Micros cooldown = 0;
  std::optional<Micros> from;  // signals from here on; earlier points still fill the windows
  std::optional<Micros> to;    // points after this are not read
};

struct Signal {
  Micros time = 0;  // the point's time; a bar rule's: the bar's start
  Action action = Action::kBuy;
  double price = 0;
  rules::Decision decision;  // reason and the numbers behind it
  bool alerted = true;       // the cooldown would let it through
};

struct Summary {
  std::string symbol;
  std::string rule;        // Rule::Describe()
  std::size_t points = 0;  // points evaluated (in [from, to])
  std::size_t signals = 0;
  std::size_t buys = 0;
  std::size_t sells = 0;
  std::size_t trades = 0;      // closed BUY -> SELL round trips
  bool open_position = false;  // a BUY not yet sold, marked at the last price
  double return_pct = 0;       // following every signal
  std::size_t alerted = 0;     // signals the cooldown lets through
  std::size_t alerted_trades = 0;
  double alerted_return_pct = 0;  // following only those
  double buy_and_hold_pct = 0;
  double first_price = 0;
  double last_price = 0;
};

struct SymbolReport {
  Summary summary;
  std::vector<Signal> signals;
};

// `points` oldest first (the whole history or at least from Needed() - 1 points before `from`).
SymbolReport Replay(std::string_view symbol, std::span<const PricePoint> points,
                    const rules::Rule& rule, const Options& options);

}  // namespace stockpipe::backtest
