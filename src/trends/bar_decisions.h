// Bar rules (rules/on_bars.h) in the scheduled run and in streaming mode: which closed bars one
// check decides, and the memory of the newest bar decided. Both modes call these, so they decide
// the same bars with the same closes.
//
// A check of (symbol, rule) reads the remembered bar start from the StateStore (BarMemoryKey),
// then the rule's bars from CleanStore::Candles: every bar after the remembered one (the newest
// kMaxBarsPerCheck of them when more closed since) with the Needed() - 1 bars before the first for
// its window; without a memory, the newest Needed() + 1 bars. The newest bar read is the open one
// and is never decided; every other bar after the remembered one is, oldest first (without a
// memory: only the newest closed bar). The memory says which bars were handled: the newest bar
// decided, or, when a symbol without a memory has no closed bar yet, just before its open bar, so
// that from then on every bar is decided as it closes. The caller writes it (RememberDecided)
// once the check's alerts are safe (sent or queued), so a crash in between decides the same bars
// again rather than losing an alert.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clean_store.h"
#include "core/state_store.h"
#include "rules/rule.h"

namespace stockpipe {

struct BarDecision {
  std::string symbol;
  std::string interval;  // Interval::name
  Micros start = 0;      // the bar's start
  rules::Decision decision;
};

inline constexpr std::size_t kMaxBarsPerCheck = 10'000;

struct ClosedBars {
  std::vector<BarDecision> decisions;  // oldest first
  std::optional<Micros> open;          // start of the symbol's open (newest) bar, if it has one
  std::optional<Micros> remember;      // the memory to write after this check, if it changes
};

// "trends/bars/AAPL/sma_cross fast=10 slow=50 on=5m": per symbol and rule (Describe()), so a
// changed rule or interval starts afresh. The value is the bar start in microseconds.
std::string BarMemoryKey(std::string_view symbol, const rules::Rule& rule);

// The decisions on `symbol`'s bars at rule.On() (which must be set) closed after the remembered
// one. An unreadable memory (not a number) counts as none.
Result<ClosedBars> DecideClosedBars(CleanStore& store, StateStore& state, std::string_view symbol,
                                    const rules::Rule& rule);

// Remembers that `symbol`'s bars on `rule` starting at or before `start` were handled.
Status RememberDecided(StateStore& state, std::string_view symbol, const rules::Rule& rule,
                       Micros start);

}  // namespace stockpipe
